import { HEX_INVALID, HEX_NON_ZERO, padHex, scanHex, skipOwsBackward, skipOwsForward, traceIdAtWidth } from './hex.js'
import {
  ACCEPT_ONLY,
  DEBUG_ONLY,
  DENY_ONLY,
  type HeaderSetter,
  type InjectContext,
  type RemoteContext,
  type SamplingOnly,
  TRACE_FLAG_SAMPLED,
} from './remote-context.js'

/**
 * Zipkin B3 propagation, single header and multi-header.
 * https://github.com/openzipkin/b3-propagation
 *
 * Ids are lower-hex as the B3 spec says (as Zipkin's own parser insists): trace ids
 * of 16 or 32 characters, span ids of 16, never all zeros. A 64-bit trace id is
 * left-padded to 128 bits and remembered as 64-bit so that it is written back as it
 * came. As in OpenTelemetry's B3 propagator, the single header's parent span id is
 * validated (it is part of the one token) while X-B3-ParentSpanId is not read at all:
 * we do not use the caller's parent, and a bad one is no reason to break the trace.
 */

export const B3_HEADER = 'b3'
export const B3_TRACE_ID_HEADER = 'x-b3-traceid'
export const B3_SPAN_ID_HEADER = 'x-b3-spanid'
export const B3_PARENT_SPAN_ID_HEADER = 'x-b3-parentspanid'
export const B3_SAMPLED_HEADER = 'x-b3-sampled'
export const B3_FLAGS_HEADER = 'x-b3-flags'

const DASH = 45

function samplingOnlyFromChar(c: number): SamplingOnly | undefined {
  if (c === 48) return DENY_ONLY // '0'
  if (c === 49) return ACCEPT_ONLY // '1'
  if (c === 100) return DEBUG_ONLY // 'd'
  return undefined
}

function b3Context(traceId: string, spanId: string, sampled: boolean | undefined, debug: boolean, format: 'b3' | 'b3multi'): RemoteContext {
  return {
    traceId: padHex(traceId, 32),
    spanId,
    traceFlags: sampled === true ? TRACE_FLAG_SAMPLED : 0,
    traceState: '',
    format,
    sampled,
    debug,
    traceIdBits: traceId.length === 16 ? 64 : 128,
  }
}

/**
 * Parses the single `b3` header: `{traceid}-{spanid}[-{0|1|d}[-{parentspanid}]]`, or a
 * sampling decision alone (`0`, `1`, `d`). Returns undefined when it is malformed.
 * Without a sampling state the caller deferred the decision (`sampled` undefined).
 */
export function parseB3Single(header: string): RemoteContext | SamplingOnly | undefined {
  const start = skipOwsForward(header, 0, header.length)
  const end = skipOwsBackward(header, start, header.length)
  if (end - start === 1) return samplingOnlyFromChar(header.charCodeAt(start))

  let traceIdLength: number
  if (header.charCodeAt(start + 16) === DASH) traceIdLength = 16
  else if (header.charCodeAt(start + 32) === DASH) traceIdLength = 32
  else return undefined
  if (scanHex(header, start, start + traceIdLength) !== HEX_NON_ZERO) return undefined

  const spanStart = start + traceIdLength + 1
  let pos = spanStart + 16
  if (pos > end || scanHex(header, spanStart, pos) !== HEX_NON_ZERO) return undefined

  let sampled: boolean | undefined
  let debug = false
  if (pos < end) {
    if (header.charCodeAt(pos) !== DASH || pos + 2 > end) return undefined
    const decision = samplingOnlyFromChar(header.charCodeAt(pos + 1))
    if (decision === undefined) return undefined
    sampled = decision.sampled
    debug = decision.debug
    pos += 2
    if (pos < end) {
      if (header.charCodeAt(pos) !== DASH || end - pos !== 17) return undefined
      if (scanHex(header, pos + 1, end) === HEX_INVALID) return undefined
    }
  }
  return b3Context(header.slice(start, start + traceIdLength), header.slice(spanStart, spanStart + 16), sampled, debug, 'b3')
}

/**
 * Parses the multi-header form from the values of `X-B3-TraceId`, `X-B3-SpanId`,
 * `X-B3-Sampled` (`1`, `0`, `true`, `false`) and `X-B3-Flags` (`1` = debug, which
 * implies sampled; other values are ignored, as the B3 spec allows). Call it only
 * when at least one of them is present. Returns undefined when malformed: an id
 * without the other, a bad id, or an unknown sampled value.
 */
export function parseB3Multi(
  traceId: string | undefined,
  spanId: string | undefined,
  sampledValue: string | undefined,
  flagsValue: string | undefined,
): RemoteContext | SamplingOnly | undefined {
  const debug = flagsValue !== undefined && trimOws(flagsValue) === '1'
  let sampled: boolean | undefined
  if (sampledValue !== undefined) {
    const value = trimOws(sampledValue)
    if (value === '1' || value === 'true') sampled = true
    else if (value === '0' || value === 'false') sampled = false
    else return undefined
  }
  if (debug) sampled = true

  if (traceId === undefined && spanId === undefined) {
    if (debug) return DEBUG_ONLY
    if (sampled === undefined) return undefined
    return sampled ? ACCEPT_ONLY : DENY_ONLY
  }
  if (traceId === undefined || spanId === undefined) return undefined
  const trace = trimOws(traceId)
  const span = trimOws(spanId)
  if (trace.length !== 16 && trace.length !== 32) return undefined
  if (span.length !== 16) return undefined
  if (scanHex(trace, 0, trace.length) !== HEX_NON_ZERO) return undefined
  if (scanHex(span, 0, 16) !== HEX_NON_ZERO) return undefined
  return b3Context(trace, span, sampled, debug, 'b3multi')
}

/** Returns `s` itself unless it has leading or trailing OWS (Node has usually trimmed it). */
function trimOws(s: string): string {
  const start = skipOwsForward(s, 0, s.length)
  const end = skipOwsBackward(s, start, s.length)
  return start === 0 && end === s.length ? s : s.slice(start, end)
}

function samplingState(ctx: InjectContext): '0' | '1' | 'd' {
  if ((ctx.traceFlags & TRACE_FLAG_SAMPLED) === 0) return '0'
  return ctx.debug === true ? 'd' : '1'
}

/** The single `b3` header for our span: `{traceid}-{spanid}-{0|1|d}[-{parentspanid}]`. */
export function formatB3Single(ctx: InjectContext): string {
  const head = traceIdAtWidth(ctx.traceId, ctx.traceIdBits ?? 128) + '-' + ctx.spanId + '-' + samplingState(ctx)
  return ctx.parentSpanId ? head + '-' + ctx.parentSpanId : head
}

/**
 * Writes the B3 multi-headers for our span. Debug is sent as `X-B3-Flags: 1` without
 * `X-B3-Sampled`, since the B3 spec says debug implies accept.
 */
export function injectB3Multi(ctx: InjectContext, setHeader: HeaderSetter): void {
  setHeader(B3_TRACE_ID_HEADER, traceIdAtWidth(ctx.traceId, ctx.traceIdBits ?? 128))
  setHeader(B3_SPAN_ID_HEADER, ctx.spanId)
  if (ctx.parentSpanId) setHeader(B3_PARENT_SPAN_ID_HEADER, ctx.parentSpanId)
  const state = samplingState(ctx)
  if (state === 'd') setHeader(B3_FLAGS_HEADER, '1')
  else setHeader(B3_SAMPLED_HEADER, state)
}
