import type { PropagationFormat } from './propagation-format.js'
import { B3_FLAGS_HEADER, B3_HEADER, B3_SAMPLED_HEADER, B3_SPAN_ID_HEADER, B3_TRACE_ID_HEADER, parseB3Multi, parseB3Single } from './b3.js'
import { JAEGER_HEADER, parseUberTraceId } from './jaeger.js'
import type { RemoteContext, SamplingOnly } from './remote-context.js'
import { parseTraceparent } from './traceparent.js'
import { combineHeaderValues, parseTracestate } from './tracestate.js'

export const TRACEPARENT_HEADER = 'traceparent'
export const TRACESTATE_HEADER = 'tracestate'

/** Which incoming header was present but malformed (the proxy counts these). */
export type InvalidContextHeader = 'traceparent' | 'tracestate' | 'b3' | 'b3multi' | 'jaeger'

/**
 * Reads one request header by lower-case name: undefined when absent, an array when
 * the header was sent more than once (Node's `req.headersDistinct`). A plain
 * `req.headers` lookup is not enough: Node joins repeats with ", ", which tracestate
 * combines correctly and most single-valued headers fail to parse, but two
 * future-version traceparent lines (`01-<trace>-<span>-01-x`) join into one value
 * that parses. The getter must say when a single-valued header came twice.
 */
export type HeaderGetter = (name: string) => string | readonly string[] | undefined

export interface ExtractResult {
  /** The caller's span, or undefined: start a new trace. */
  context: RemoteContext | undefined
  /**
   * The caller's explicit sampling decision: `context.sampled` when there is a
   * context, else a decision that came without ids (`b3: 0`, `X-B3-Sampled: 0` alone),
   * which a new trace should honour. Pass the whole result to a parent-based sampler.
   */
  sampled: boolean | undefined
  /** The first context header that was present but malformed (even if another format won). */
  invalid: InvalidContextHeader | undefined
}

const ABSENT = 0
const INVALID = 1

/** A header's single value; ABSENT when missing or empty, INVALID when sent more than once. */
function singleValue(getHeader: HeaderGetter, name: string): string | typeof ABSENT | typeof INVALID {
  const value = getHeader(name)
  if (value === undefined) return ABSENT
  if (typeof value === 'string') return value.length === 0 ? ABSENT : value
  if (value.length === 0) return ABSENT
  if (value.length > 1) return INVALID
  return value[0]!.length === 0 ? ABSENT : value[0]!
}

/**
 * Reads the caller's trace context from request headers in the given formats.
 *
 * A valid `traceparent` wins whenever `tracecontext` is enabled, wherever it is in
 * the list (the W3C header is the standard; the others are for older peers);
 * otherwise the first format in order with a valid context wins. `tracestate` is read
 * only with a valid `traceparent`; if it is invalid the context is kept without it and
 * `invalid` says 'tracestate'. Headers of formats not listed are never looked at.
 */
export function extractContext(getHeader: HeaderGetter, formats: readonly PropagationFormat[]): ExtractResult {
  const result: ExtractResult = { context: undefined, sampled: undefined, invalid: undefined }
  if (formats.includes('tracecontext')) {
    readTraceContext(getHeader, result)
  }
  for (let i = 0; i < formats.length && result.context === undefined; i++) {
    const format = formats[i]
    if (format === 'b3') readB3Single(getHeader, result)
    else if (format === 'b3multi') readB3Multi(getHeader, result)
    else if (format === 'jaeger') readJaeger(getHeader, result)
  }
  if (result.context !== undefined) result.sampled = result.context.sampled
  return result
}

function reportInvalid(result: ExtractResult, header: InvalidContextHeader): void {
  if (result.invalid === undefined) result.invalid = header
}

function readTraceContext(getHeader: HeaderGetter, result: ExtractResult): void {
  const traceparent = singleValue(getHeader, TRACEPARENT_HEADER)
  if (traceparent === ABSENT) return
  const context = traceparent === INVALID ? undefined : parseTraceparent(traceparent)
  if (context === undefined) {
    reportInvalid(result, 'traceparent')
    return
  }
  const tracestate = getHeader(TRACESTATE_HEADER)
  if (tracestate !== undefined) {
    const traceState = parseTracestate(combineHeaderValues(tracestate))
    if (traceState === undefined) reportInvalid(result, 'tracestate')
    else context.traceState = traceState
  }
  result.context = context
}

function useParsed(result: ExtractResult, parsed: RemoteContext | SamplingOnly | undefined, header: InvalidContextHeader): void {
  if (parsed === undefined) reportInvalid(result, header)
  else if ('samplingOnly' in parsed) {
    if (result.sampled === undefined) result.sampled = parsed.sampled
  } else result.context = parsed
}

function readB3Single(getHeader: HeaderGetter, result: ExtractResult): void {
  const value = singleValue(getHeader, B3_HEADER)
  if (value === ABSENT) return
  useParsed(result, value === INVALID ? undefined : parseB3Single(value), 'b3')
}

function readB3Multi(getHeader: HeaderGetter, result: ExtractResult): void {
  const traceId = singleValue(getHeader, B3_TRACE_ID_HEADER)
  const spanId = singleValue(getHeader, B3_SPAN_ID_HEADER)
  const sampled = singleValue(getHeader, B3_SAMPLED_HEADER)
  const flags = singleValue(getHeader, B3_FLAGS_HEADER)
  // X-B3-Flags other than "1" is ignorable per the B3 spec, so alone it is no context.
  if (traceId === ABSENT && spanId === ABSENT && sampled === ABSENT && (flags === ABSENT || flags === INVALID || flags.trim() !== '1')) {
    return
  }
  if (traceId === INVALID || spanId === INVALID || sampled === INVALID) {
    reportInvalid(result, 'b3multi')
    return
  }
  const parsed = parseB3Multi(
    traceId === ABSENT ? undefined : traceId,
    spanId === ABSENT ? undefined : spanId,
    sampled === ABSENT ? undefined : sampled,
    flags === ABSENT || flags === INVALID ? undefined : flags,
  )
  useParsed(result, parsed, 'b3multi')
}

function readJaeger(getHeader: HeaderGetter, result: ExtractResult): void {
  const value = singleValue(getHeader, JAEGER_HEADER)
  if (value === ABSENT) return
  useParsed(result, value === INVALID ? undefined : parseUberTraceId(value), 'jaeger')
}
