import type { Exchange } from './exchange.js'
import { SpanKind } from '../span/span-record.js'
import { W3C_DEFINED_TRACE_FLAGS } from '../trace-context/remote-context.js'

/**
 * The access log's JSON line, built field by field.
 *
 * The proxy writes one line per request on its main thread. Measured with
 * Linux perf, building it with pino's generic serialiser cost ~9.4 µs per
 * line; this fixed-field writer costs ~2.5 µs. The line is the one pino wrote
 * (keys, key order, number and string forms, absent fields left out), which
 * test/proxy/access-log-line.test.ts checks against pino itself. Writing
 * the lines is access-log.ts's job.
 *
 * One deliberate difference: a lone surrogate is written as a `\udXXX`
 * escape, as JSON.stringify does. pino (Node < 25, strings up to 100
 * characters) wrote it raw, which reached the file as U+FFFD.
 */
export function formatAccessLine(ex: Exchange, service: string, nowMs: number): string {
  const start = ex.startUnixMs
  let line = lineHead(nowMs, service) + ',"trace_id":' + jsonString(ex.traceId) + ',"span_id":' + jsonString(ex.spanId)
  if (ex.parentSpanId !== '') line += ',"parent_span_id":' + jsonString(ex.parentSpanId)
  line += TRACE_FLAGS_FIELD[ex.traceFlags & W3C_DEFINED_TRACE_FLAGS]
  if (ex.requestId !== '') line += ',"request_id":' + jsonString(ex.requestId)
  line += ex.kind === SpanKind.CLIENT ? ',"kind":"outbound"' : ',"kind":"inbound"'
  line += ',"method":' + jsonString(ex.method) + ',"path":' + jsonString(ex.path)
  if (ex.route !== '') line += ',"route":' + jsonString(ex.route)
  line += ',"status":' + jsonNumber(ex.statusCode) + ',"duration_ms":' + millisText(ex.endUnixMs - start)
  if (ex.upstreamConnectedUnixMs !== 0) line += ',"upstream_connect_ms":' + millisText(ex.upstreamConnectedUnixMs - start)
  if (ex.firstByteUnixMs !== 0) line += ',"upstream_first_byte_ms":' + millisText(ex.firstByteUnixMs - start)
  line += ',"bytes_in":' + jsonNumber(ex.requestBodyBytes) + ',"bytes_out":' + jsonNumber(ex.responseBodyBytes)
  line += ',"client":' + jsonString(ex.clientAddress)
  if (ex.userAgent !== '') line += ',"user_agent":' + jsonString(ex.userAgent)
  if (ex.errorType !== '') line += ',"error_type":' + jsonString(ex.errorType)
  return line + (ex.upgraded ? ',"msg":"upgrade"}\n' : ',"msg":"request"}\n')
}

/**
 * `trace_flags` as the traceparent the upstream saw writes them: sampled (01) and,
 * for a trace tracecar started, random (02). Indexed by the two defined bits.
 */
const TRACE_FLAGS_FIELD = [',"trace_flags":"00"', ',"trace_flags":"01"', ',"trace_flags":"02"', ',"trace_flags":"03"'] as const

/**
 * `{"level":"info","time":"…","service":"…"`, rebuilt once per millisecond
 * (and per service name) rather than per line: under load many lines share a
 * millisecond, and `toISOString()` is not free.
 */
let headMs = Number.NaN
let headService = ''
let head = ''
function lineHead(nowMs: number, service: string): string {
  if (nowMs !== headMs || service !== headService) {
    headMs = nowMs
    headService = service
    head = `{"level":"info","time":"${isoTime(nowMs)}","service":${jsonString(service)}`
  }
  return head
}

/**
 * `new Date(ms).toISOString()`, with the text up to the seconds made once per
 * second: at a steady 1,000 requests a second every line falls in a new
 * millisecond, and a Date and its ISO text cost twice what the rest of the
 * line does (bench/access-log-line.bench.js).
 */
let secondStartMs = Number.NaN
let secondText = ''
function isoTime(ms: number): string {
  const milli = ms % 1000
  if (!Number.isInteger(ms) || milli < 0) return new Date(ms).toISOString()
  const startMs = ms - milli
  if (startMs !== secondStartMs) {
    secondStartMs = startMs
    // 'YYYY-MM-DDTHH:MM:SS.' (or the extended year form), without 'sssZ'.
    secondText = new Date(startMs).toISOString().slice(0, -4)
  }
  return secondText + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z'
}

/**
 * A JSON string literal. Most values need no escaping, so they are only
 * scanned; anything JSON.stringify would escape (`"`, `\`, control characters,
 * which includes every line break) or might (surrogates: lone ones are
 * escaped, pairs are not) goes through JSON.stringify. U+2028 / U+2029 are
 * left raw, as JSON.stringify and pino leave them: valid JSON, and not a line
 * break to a newline-delimited reader.
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s)
  }
  return '"' + s + '"'
}

/** As pino writes a number: its shortest form, `null` when not finite. */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? '' + n : 'null'
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/**
 * A duration in milliseconds to the microsecond, as JSON: the text of
 * `round3(ms)`, made from whole thousandths. Turning a fractional double into
 * its shortest text was the largest part of the line (three per line); below
 * 2^31 thousandths that text is exactly the thousandths' digits with the
 * point put back and trailing zeros dropped (a double's spacing there is far
 * finer than 0.001, so no shorter text stands for the same number).
 */
export function millisText(ms: number): string {
  const thousandths = Math.round(ms * 1000)
  // Negative, huge or not a number: the general path.
  if (!(thousandths >= 0 && thousandths < 0x80000000)) return jsonNumber(round3(ms))
  const whole = (thousandths / 1000) | 0
  const fraction = thousandths - whole * 1000
  if (fraction === 0) return '' + whole
  if (fraction % 100 === 0) return whole + '.' + fraction / 100
  if (fraction % 10 === 0) return whole + (fraction < 100 ? '.0' : '.') + fraction / 10
  return whole + (fraction < 10 ? '.00' : fraction < 100 ? '.0' : '.') + fraction
}
