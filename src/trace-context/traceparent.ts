import type { SpanId, TraceId } from '../span/span-record.js'
import { BYTE_HEX, HEX_INVALID, HEX_NON_ZERO, hexDigitValue, scanHex, skipOwsBackward, skipOwsForward } from './hex.js'
import { type RemoteContext, TRACE_FLAG_SAMPLED, W3C_DEFINED_TRACE_FLAGS } from './remote-context.js'

/**
 * W3C Trace Context `traceparent`: `version-traceid-parentid-flags`.
 * https://www.w3.org/TR/trace-context-2/#traceparent-header
 *
 * Why not `@opentelemetry/core`'s W3CTraceContextPropagator: it takes the first of
 * duplicate headers (the spec says a duplicate makes the header invalid), accepts
 * anything after a future version's flags (the spec requires a `-` there), and works
 * through the Context API; here a parse is one pass over char codes and one object.
 */

/** Length of a version 00 traceparent, and the minimum for any version. */
export const TRACEPARENT_LENGTH = 55
const DASH = 45

/**
 * Parses one `traceparent` header value. Returns undefined when it is invalid:
 * version `ff`; version `00` that is not exactly 55 characters; a future version
 * shorter than 55 characters or whose 56th character is not `-`; an all-zero trace
 * or parent id; wrong field lengths; any character that is not lowercase hex.
 * Leading and trailing OWS (spaces, tabs) is ignored. Only the first four fields of
 * a future version are read, as the spec asks.
 *
 * The result's `traceFlags` keeps every bit as received; `formatTraceparent` drops
 * the reserved ones when writing.
 */
export function parseTraceparent(header: string): RemoteContext | undefined {
  const start = skipOwsForward(header, 0, header.length)
  const end = skipOwsBackward(header, start, header.length)
  const length = end - start
  if (length < TRACEPARENT_LENGTH) return undefined

  if (scanHex(header, start, start + 2) === HEX_INVALID) return undefined
  const v0 = header.charCodeAt(start)
  const v1 = header.charCodeAt(start + 1)
  if (v0 === 102 && v1 === 102) return undefined // version ff is forbidden
  if (v0 === 48 && v1 === 48) {
    if (length !== TRACEPARENT_LENGTH) return undefined
  } else if (length > TRACEPARENT_LENGTH && header.charCodeAt(start + TRACEPARENT_LENGTH) !== DASH) {
    return undefined
  }

  if (header.charCodeAt(start + 2) !== DASH || header.charCodeAt(start + 35) !== DASH || header.charCodeAt(start + 52) !== DASH) {
    return undefined
  }
  if (scanHex(header, start + 3, start + 35) !== HEX_NON_ZERO) return undefined
  if (scanHex(header, start + 36, start + 52) !== HEX_NON_ZERO) return undefined
  if (scanHex(header, start + 53, start + 55) === HEX_INVALID) return undefined

  const traceFlags = hexDigitValue(header.charCodeAt(start + 53)) * 16 + hexDigitValue(header.charCodeAt(start + 54))
  return {
    traceId: header.slice(start + 3, start + 35),
    spanId: header.slice(start + 36, start + 52),
    traceFlags,
    traceState: '',
    format: 'tracecontext',
    sampled: (traceFlags & TRACE_FLAG_SAMPLED) !== 0,
    debug: false,
    traceIdBits: 128,
  }
}

/**
 * A version 00 `traceparent` value. Only the flag bits defined by Level 2 (sampled,
 * random) are written: the spec says vendors MUST set the reserved bits to zero.
 * The ids must be valid lowercase hex (ours always are: generated or parsed).
 */
export function formatTraceparent(traceId: TraceId, spanId: SpanId, traceFlags: number): string {
  return '00-' + traceId + '-' + spanId + '-' + BYTE_HEX[traceFlags & W3C_DEFINED_TRACE_FLAGS]
}

/**
 * The W3C `traceresponse` response header (Trace Context Level 2): the same
 * `00-traceid-spanid-flags` shape, naming the span that served the request.
 */
export function formatTraceresponse(traceId: TraceId, spanId: SpanId, traceFlags: number): string {
  return formatTraceparent(traceId, spanId, traceFlags)
}

/**
 * The `Server-Timing` metric by which Trace Context Level 2 returns the same value to
 * the caller (readable by scripts in a browser, where `traceresponse` is not):
 * `trace;desc=00-traceid-spanid-flags`, from a `formatTraceresponse` value. The desc
 * is a token (hex and dashes), so it needs no quotes.
 */
export function formatServerTimingTrace(traceresponse: string): string {
  return 'trace;desc=' + traceresponse
}
