/**
 * The `trace` metric of `Server-Timing`, by which W3C Trace Context Level 2 returns
 * the trace context to the caller (`trace;desc=00-<trace-id>-<span-id>-<flags>`;
 * browsers expose it to scripts as PerformanceServerTiming), merged with the
 * metrics the service sent.
 *
 * The service's own `trace` metric is dropped, as its `traceresponse` is: the
 * caller's callee is the proxy, whose span is the one to name. Its other metrics
 * are kept, in order, and ours is added last, on one `server-timing` line.
 */

const TRACE_METRIC = 'trace'
const COMMA = 44
const SEMICOLON = 59
const QUOTE = 34
const BACKSLASH = 92
const SPACE = 32
const TAB = 9

/**
 * Adds `metric` to the response headers in `out` (flat name, value pairs): appended
 * to the service's `server-timing` values, which are gathered on one line. With no
 * such header (the common case) this is one pass over the names and a push.
 */
export function appendServerTiming(out: string[], metric: string): void {
  let merged = ''
  let write = 0
  for (let read = 0; read < out.length; read += 2) {
    const name = out[read]!
    const value = out[read + 1]!
    if (isServerTimingName(name)) {
      const kept = withoutTraceMetric(value)
      if (kept !== '') merged = merged === '' ? kept : merged + ', ' + kept
      continue
    }
    if (write !== read) {
      out[write] = name
      out[write + 1] = value
    }
    write += 2
  }
  out.length = write
  out.push('server-timing', merged === '' ? metric : merged + ', ' + metric)
}

/** `server-timing` in any letter case, compared without allocating a lower-case copy. */
export function isServerTimingName(name: string): boolean {
  if (name.length !== 13) return false
  const expected = 'server-timing'
  for (let i = 0; i < 13; i++) {
    const c = name.charCodeAt(i)
    // ASCII letters fold to lower case with 0x20; '-' is compared as it is.
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== expected.charCodeAt(i)) return false
  }
  return true
}

/**
 * A `Server-Timing` value without its `trace` metrics: the same string when it has
 * none, '' when nothing else is left. Commas inside quoted-string parameters
 * (`desc="a, b"`) do not split metrics.
 */
export function withoutTraceMetric(value: string): string {
  let out = ''
  let dropped = false
  let start = 0
  let quoted = false
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length) {
      const c = value.charCodeAt(i)
      if (quoted) {
        if (c === BACKSLASH) i++
        else if (c === QUOTE) quoted = false
        continue
      }
      if (c === QUOTE) quoted = true
      if (c !== COMMA) continue
    }
    // A metric ends here (a comma outside quotes, or the end of the value).
    const metric = trimmed(value, start, i)
    start = i + 1
    if (metric === '') continue
    if (metricName(metric) === TRACE_METRIC) dropped = true
    else out = out === '' ? metric : out + ', ' + metric
  }
  return dropped ? out : value
}

function trimmed(s: string, start: number, end: number): string {
  while (start < end && isOws(s.charCodeAt(start))) start++
  while (end > start && isOws(s.charCodeAt(end - 1))) end--
  return s.slice(start, end)
}

/** The metric name: the token before the first `;` or whitespace. */
function metricName(metric: string): string {
  let end = 0
  while (end < metric.length) {
    const c = metric.charCodeAt(end)
    if (c === SEMICOLON || isOws(c)) break
    end++
  }
  return metric.slice(0, end)
}

function isOws(c: number): boolean {
  return c === SPACE || c === TAB
}
