// Time ranges in URLs: a lookback ("1h") relative to now, or explicit start/end in Unix ms.
import { durationMs } from '../../units/duration'

// Each lookback's length is its value read by the product's duration grammar, so the two cannot disagree.
export const LOOKBACKS: { value: string; label: string; ms: number }[] = [
  { value: '5m', label: 'Last 5 minutes' },
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '2d', label: 'Last 2 days' },
  { value: '7d', label: 'Last 7 days' },
].map((lookback) => ({ ...lookback, ms: durationMs(lookback.value)! }))

export function lookbackMs(value: string | null, fallback = 3600_000): number {
  return LOOKBACKS.find((l) => l.value === value)?.ms ?? fallback
}

/** `lookback=custom&start=&end=` (Unix ms), or null when the URL holds no usable custom range. */
export function customRange(query: URLSearchParams): { start: number; end: number } | null {
  const start = Number(query.get('start'))
  const end = Number(query.get('end'))
  return query.get('lookback') === 'custom' && start > 0 && end > start ? { start, end } : null
}

export function resolveRange(query: URLSearchParams, defaultLookback = '1h'): { start: number; end: number } {
  const custom = customRange(query)
  if (custom) return custom
  const now = Date.now()
  return { start: now - lookbackMs(query.get('lookback') ?? defaultLookback), end: now }
}

/** "250ms", "1.5s", "2m", "800us", "1m30s", "42" (ms) → milliseconds; null if not a duration. */
export function parseDurationMs(text: string): number | null {
  return durationMs(text, { bareNumberUnit: 'ms' }) ?? null
}

/** For <input type="datetime-local" step="1">: local time to the second, without zone. `round`
 * "up" for the end of a range, so a range given to the millisecond is not narrowed. */
export function toLocalInput(unixMs: number, round: 'down' | 'up' = 'down'): string {
  const s = round === 'up' ? Math.ceil(unixMs / 1000) * 1000 : Math.floor(unixMs / 1000) * 1000
  const d = new Date(s - new Date(s).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 19)
}

export function fromLocalInput(text: string): number | null {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) return null
  const t = new Date(text).getTime()
  return Number.isFinite(t) ? t : null
}

/** The From/To inputs of a custom range → Unix ms, or what to fix. */
export function parseCustomRange(startText: string, endText: string): { start: number; end: number } | { error: string } {
  const start = fromLocalInput(startText)
  const end = fromLocalInput(endText)
  if (start === null) return { error: 'Custom range: pick a start date and time' }
  if (end === null) return { error: 'Custom range: pick an end date and time' }
  if (end <= start) return { error: 'Custom range: pick a start before the end' }
  return { start, end }
}

/** logfmt-ish "k=v k2=\"a b\"" → ["k=v", "k2=a b"]; returns an error text for a term without "=". */
export function parseAttributeFilter(text: string): { terms: string[] } | { error: string } {
  const terms: string[] = []
  const re = /\s*([^\s=]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/y
  let rest = text.trim()
  while (rest.length) {
    re.lastIndex = 0
    const m = re.exec(rest)
    if (!m) return { error: `"${rest.split(/\s+/)[0]}" is not key=value (quote values with spaces: key="a b")` }
    terms.push(`${m[1]}=${m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]}`)
    rest = rest.slice(re.lastIndex).trim()
  }
  return { terms }
}

export function formatAttributeFilter(terms: string[]): string {
  return terms
    .map((t) => {
      const i = t.indexOf('=')
      const v = t.slice(i + 1)
      return /[\s"]/.test(v) || v === '' ? `${t.slice(0, i)}="${v.replace(/(["\\])/g, '\\$1')}"` : t
    })
    .join(' ')
}
