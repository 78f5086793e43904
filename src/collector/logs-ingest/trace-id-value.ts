/**
 * Turns the many spellings of a trace or span id found in log lines into the
 * W3C form (32 / 16 lowercase hex characters), so a line written by a service
 * that knows nothing about tracing still joins its trace.
 *
 * Accepted for trace ids: 32 hex (any case), 16 hex (a 64-bit Jaeger/Zipkin/
 * Datadog id, left-padded with zeros as OpenTelemetry does), a UUID with
 * dashes, a W3C traceparent, an AWS X-Ray id (`1-5759e988-bd862e3f...`), a
 * Google Cloud trace path (`projects/p/traces/<id>`), and decimal 64-bit
 * integers when the field is known to be decimal (Datadog's `dd.trace_id`).
 */

export type IdFormat = 'auto' | 'decimal'

const HEX32 = /^[0-9a-fA-F]{32}$/
const HEX16 = /^[0-9a-fA-F]{16}$/
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/i
const XRAY = /^1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})$/
const DECIMAL = /^\d{1,20}$/
const ALL_ZERO = /^0+$/
const MAX_U64 = (1n << 64n) - 1n

/** A 64-bit unsigned decimal (as Datadog prints ids) → 16 hex characters; '' if out of range. */
export function decimalToHex16(decimal: string): string {
  if (!DECIMAL.test(decimal)) return ''
  const n = BigInt(decimal)
  if (n === 0n || n > MAX_U64) return ''
  return n.toString(16).padStart(16, '0')
}

function fromNumber(value: number): string {
  // JSON numbers above 2^53 have already lost digits: such an id cannot be recovered.
  return Number.isSafeInteger(value) && value > 0 ? value.toString() : ''
}

/** An id field's value as text ('' for values that cannot hold an id). */
function idText(value: unknown): string {
  if (typeof value === 'number') return fromNumber(value)
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string') return value.trim()
  return ''
}

/** The W3C trace id in `value`, or '' when it is not a recognisable trace id. */
export function normaliseTraceId(value: unknown, format: IdFormat = 'auto'): string {
  const s = idText(value)
  if (s === '') return ''
  if (format === 'decimal' || typeof value !== 'string') {
    const hex = decimalToHex16(s)
    return hex === '' ? '' : hex.padStart(32, '0')
  }
  let hex = ''
  if (HEX32.test(s)) hex = s
  else if (HEX16.test(s)) hex = s.padStart(32, '0')
  else if (UUID.test(s)) hex = s.replace(/-/g, '')
  else {
    const tp = TRACEPARENT.exec(s)
    const xray = tp === null ? XRAY.exec(s) : null
    if (tp !== null) hex = tp[1]!
    else if (xray !== null) hex = xray[1]! + xray[2]!
    else if (s.startsWith('projects/')) {
      const last = s.slice(s.lastIndexOf('/') + 1)
      return last === s ? '' : normaliseTraceId(last)
    }
  }
  if (hex === '' || ALL_ZERO.test(hex)) return ''
  return hex.toLowerCase()
}

/** The W3C span id in `value`, or '' when it is not a recognisable span id. */
export function normaliseSpanId(value: unknown, format: IdFormat = 'auto'): string {
  const s = idText(value)
  if (s === '') return ''
  if (format === 'decimal' || typeof value !== 'string') return decimalToHex16(s)
  const tp = TRACEPARENT.exec(s)
  const hex = tp !== null ? tp[2]! : HEX16.test(s) ? s : ''
  if (hex === '' || ALL_ZERO.test(hex)) return ''
  return hex.toLowerCase()
}
