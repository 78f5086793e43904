import { HEX_INVALID, HEX_NON_ZERO, hexDigitValue, padHex, scanHex, skipOwsBackward, skipOwsForward, traceIdAtWidth } from './hex.js'
import { type InjectContext, type RemoteContext, TRACE_FLAG_SAMPLED } from './remote-context.js'

/**
 * Jaeger's native propagation: `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}`.
 * https://www.jaegertracing.io/docs/latest/client-libraries/#propagation-format
 *
 * Jaeger clients write ids without leading zeros and in either case, and some
 * frameworks URL-encode the value (`%3A` for `:`), so all of that is accepted; ids
 * are lowercased and left-padded to 16/32 hex. The parent span id is deprecated: it is
 * checked to be hex (it may be `0`) and otherwise ignored. Flags are one or two hex
 * digits: 0x1 sampled, 0x2 debug (debug implies sampled, as in Jaeger's clients).
 */

export const JAEGER_HEADER = 'uber-trace-id'

const JAEGER_FLAG_SAMPLED = 0x1
const JAEGER_FLAG_DEBUG = 0x2
// Compiled once; used only when the value contains a '%'.
const ENCODED_COLON = /%3a/gi

/** Reads a 1..maxLength hex id from `s[start, end)`, lowercased; undefined if invalid or zero. */
function readId(s: string, start: number, end: number, maxLength: number): string | undefined {
  const length = end - start
  if (length < 1 || length > maxLength) return undefined
  const scan = scanHex(s, start, end)
  if (scan === HEX_NON_ZERO) return s.slice(start, end)
  if (scan === HEX_INVALID && scanHex(s, start, end, true) === HEX_NON_ZERO) return s.slice(start, end).toLowerCase()
  return undefined
}

/** Parses an `uber-trace-id` value; undefined when malformed. */
export function parseUberTraceId(header: string): RemoteContext | undefined {
  let value = header
  if (value.includes('%')) {
    value = value.replace(ENCODED_COLON, ':')
    // Nothing else in a valid value could have been encoded.
    if (value.includes('%')) return undefined
  }
  const start = skipOwsForward(value, 0, value.length)
  const end = skipOwsBackward(value, start, value.length)
  const colon1 = value.indexOf(':', start)
  const colon2 = colon1 === -1 ? -1 : value.indexOf(':', colon1 + 1)
  const colon3 = colon2 === -1 ? -1 : value.indexOf(':', colon2 + 1)
  if (colon3 === -1 || colon3 >= end || value.indexOf(':', colon3 + 1) !== -1) return undefined

  const traceId = readId(value, start, colon1, 32)
  if (traceId === undefined) return undefined
  const spanId = readId(value, colon1 + 1, colon2, 16)
  if (spanId === undefined) return undefined
  const parentLength = colon3 - colon2 - 1
  if (parentLength < 1 || parentLength > 16 || scanHex(value, colon2 + 1, colon3, true) === HEX_INVALID) return undefined
  const flagsLength = end - colon3 - 1
  if (flagsLength < 1 || flagsLength > 2 || scanHex(value, colon3 + 1, end, true) === HEX_INVALID) return undefined

  let flags = 0
  for (let i = colon3 + 1; i < end; i++) flags = flags * 16 + hexDigitValue(value.charCodeAt(i))
  const debug = (flags & JAEGER_FLAG_DEBUG) !== 0
  const sampled = debug || (flags & JAEGER_FLAG_SAMPLED) !== 0
  return {
    traceId: padHex(traceId, 32),
    spanId: padHex(spanId, 16),
    traceFlags: sampled ? TRACE_FLAG_SAMPLED : 0,
    traceState: '',
    format: 'jaeger',
    sampled,
    debug,
    traceIdBits: traceId.length <= 16 ? 64 : 128,
  }
}

/**
 * The `uber-trace-id` value for our span. The deprecated parent field is written as
 * `0`, as current Jaeger clients do; flags are `0`, `1`, or `3` (debug + sampled).
 */
export function formatUberTraceId(ctx: InjectContext): string {
  let flags = '0'
  if ((ctx.traceFlags & TRACE_FLAG_SAMPLED) !== 0) flags = ctx.debug === true ? '3' : '1'
  return traceIdAtWidth(ctx.traceId, ctx.traceIdBits ?? 128) + ':' + ctx.spanId + ':0:' + flags
}
