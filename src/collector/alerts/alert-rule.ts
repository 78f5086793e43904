/**
 * An alert rule after validation: what to measure (a duration quantile, the
 * error rate or the request rate of a service, optionally one operation and
 * span kind), the threshold, the window it is measured over and how long the
 * condition must hold (`for`) before the alert fires.
 */
export type AlertKind = 'duration_quantile' | 'error_rate' | 'request_rate'

export const ALERT_KINDS: readonly AlertKind[] = ['duration_quantile', 'error_rate', 'request_rate']

export interface AlertRule {
  name: string
  kind: AlertKind
  service: string
  operation?: string
  spanKind?: string
  /** duration_quantile only: 0 < q ≤ 1. */
  quantile: number
  /**
   * duration_quantile: milliseconds the quantile must exceed; error_rate: a
   * fraction 0..1 it must exceed; request_rate: requests per second it must
   * fall below.
   */
  threshold: number
  windowMs: number
  forMs: number
  /** Below this many requests in the window the duration and error-rate conditions are not met (too little data). */
  minRequests: number
  labels: Record<string, string>
  annotations: Record<string, string>
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }
const DURATION = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d))+$/
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

/** Milliseconds from `500ms`, `5s`, `1m30s`, `2h` or a number (already ms); undefined when unreadable. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const s = value.trim()
  if (!DURATION.test(s)) return undefined
  let total = 0
  for (const m of s.matchAll(DURATION_PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!
  return total
}

/** `500ms`, `5m`, `1h30m` — the inverse of parseDurationMs for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  if (ms % 3600_000 === 0) return `${ms / 3600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

/** Words for what the rule measures, e.g. `p99 of checkout POST /cart`. */
export function ruleSubject(rule: AlertRule): string {
  const target = [rule.service, rule.operation, rule.spanKind].filter((x) => x !== undefined && x !== '').join(' ')
  switch (rule.kind) {
    case 'duration_quantile':
      return `p${Number((rule.quantile * 100).toFixed(3))} duration of ${target}`
    case 'error_rate':
      return `error rate of ${target}`
    case 'request_rate':
      return `request rate of ${target}`
  }
}

/** The value and threshold in the rule's unit, e.g. `812.5 ms`, `7.5%`, `0.2/s`. */
export function formatValue(rule: AlertRule, value: number): string {
  const round = (n: number): number => Math.round(n * 1000) / 1000
  switch (rule.kind) {
    case 'duration_quantile':
      return `${round(value)} ms`
    case 'error_rate':
      return `${round(value * 100)}%`
    case 'request_rate':
      return `${round(value)}/s`
  }
}
