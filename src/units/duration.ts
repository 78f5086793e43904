/**
 * Durations written as text, the one grammar for the whole product: command-line flags
 * and config keys, alert rule files, the Jaeger query API and the UI's search form.
 *
 * A duration is one or more `<number><unit>` parts, summed: `500ms`, `1.5s`, `1h30m`,
 * `.5s` (Go's `time.ParseDuration` shape, which Jaeger's API takes), plus days and weeks.
 * Units are case-insensitive; spaces around the text and between a number and its unit
 * are allowed (`250 ms`, as people type it into a form). A bare number has no unit of
 * its own: each caller says what it means (`bareNumberUnit`), or refuses it.
 *
 * Pure: no Node module, no DOM, no import, so the UI bundle takes this file as it is.
 */

export const DURATION_UNITS_MS = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const satisfies Record<string, number>

export type DurationUnit = keyof typeof DURATION_UNITS_MS

export interface DurationRules {
  /** What a bare number means (`42` -> 42 ms with 'ms'); absent: a unit is required. */
  readonly bareNumberUnit?: DurationUnit
  /** Smallest duration allowed, inclusive (default 0: any duration). */
  readonly minMs?: number
  /** Refuse zero (`0s`): for intervals and ages that must be above nothing. */
  readonly positive?: boolean
}

export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly problem: string }

// `ms` before `m` and `s`, `µs`/`us` before `s`: the longest unit name wins.
const PART = /\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|μs|ms|s|m|h|d|w)/y
const BARE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*$/

/** The sentence after "expected" for these rules, also what `--help` and errors print. */
export function durationExpected(rules: DurationRules = {}): string {
  const bare = rules.bareNumberUnit ? `, or a bare number of ${unitName(rules.bareNumberUnit)}` : ''
  const floor = rules.minMs !== undefined && rules.minMs > 0 ? ` of at least ${formatDurationMs(rules.minMs)}` : rules.positive ? ' above zero' : ''
  return `a duration${floor}: a number with a unit (ns, us, ms, s, m, h, d, w), parts may be combined (e.g. 500ms, 1.5s, 1h30m, 7d)${bare}`
}

/**
 * Milliseconds from `text`, or what is wrong with it (a sentence starting with "expected").
 * A duration too large for a number comes back as Infinity: range checks are the caller's.
 */
export function parseDuration(text: string, rules: DurationRules = {}): DurationResult {
  const bad = (): DurationResult => ({ ok: false, problem: `expected ${durationExpected(rules)}` })
  let ms: number
  const bare = BARE.exec(text)
  if (bare !== null) {
    if (rules.bareNumberUnit === undefined) return bad()
    ms = Number(bare[1]) * DURATION_UNITS_MS[rules.bareNumberUnit]
  } else {
    const lower = text.toLowerCase()
    ms = 0
    let consumed = 0
    PART.lastIndex = 0
    for (let m = PART.exec(lower); m !== null; m = PART.exec(lower)) {
      ms += Number(m[1]) * DURATION_UNITS_MS[m[2] as DurationUnit]
      consumed = PART.lastIndex
    }
    if (consumed === 0 || lower.slice(consumed).trim() !== '') return bad()
  }
  if (ms < (rules.minMs ?? 0) || (rules.positive && ms === 0)) return bad()
  return { ok: true, ms }
}

/** Milliseconds, or undefined when `text` is not a duration under `rules`. */
export function durationMs(text: string, rules: DurationRules = {}): number | undefined {
  const result = parseDuration(text, rules)
  return result.ok ? result.ms : undefined
}

/**
 * The shortest exact way to write `ms` in one whole unit of hours at most: `500ms`, `30s`,
 * `5m`, `24h` (the inverse of parseDuration, for messages; a day reads as 24h, as in
 * Prometheus rules).
 */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s'
  for (const unit of ['h', 'm', 's'] as const) {
    if (ms % DURATION_UNITS_MS[unit] === 0) return `${ms / DURATION_UNITS_MS[unit]}${unit}`
  }
  return `${ms}ms`
}

function unitName(unit: DurationUnit): string {
  const names: Record<DurationUnit, string> = {
    ns: 'nanoseconds',
    us: 'microseconds',
    µs: 'microseconds',
    μs: 'microseconds',
    ms: 'milliseconds',
    s: 'seconds',
    m: 'minutes',
    h: 'hours',
    d: 'days',
    w: 'weeks',
  }
  return names[unit]
}
