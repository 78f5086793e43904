import { isOws, skipOwsBackward, skipOwsForward } from './hex.js'

/**
 * W3C Trace Context `tracestate`: vendor entries `key=value`, comma-separated.
 * https://www.w3.org/TR/trace-context-2/#tracestate-header
 *
 * Why not `@opentelemetry/core`'s TraceState: it silently skips invalid members and
 * keeps the first 32 and the first 512 characters; the rules here are stricter about
 * malformed input and trim the way the spec recommends. We only validate, trim and
 * forward: the proxy never adds its own entry.
 *
 * Choices where the spec leaves room (documented in README.md too):
 * - One malformed member or more than 32 members make the whole tracestate invalid:
 *   it is dropped (and the extractor reports it), while the traceparent is still
 *   used. The spec's grammar allows at most 32 members, and a header we cannot parse
 *   must not be forwarded half-understood.
 * - A key that appears again (`a=1,a=2`, or the same entry in two header lines) is
 *   not a reason to lose the others: the first occurrence is kept and the later ones
 *   are dropped. The first is the one its vendor updated last (an updated entry
 *   moves to the left), and the list forwarded has unique keys, as the spec requires.
 * - Empty members (`a=1,,b=2`, `a=1, ,b=2`) and OWS around members are allowed and
 *   not counted.
 * - Over 512 characters (members plus separating commas, without OWS): whole members
 *   are removed, first those longer than 128 characters starting from the end, then
 *   any from the end, until it fits.
 */

export const TRACESTATE_MAX_MEMBERS = 32
export const TRACESTATE_MAX_LENGTH = 512
/** Members longer than this go first when a tracestate must be trimmed. */
export const TRACESTATE_LONG_MEMBER_LENGTH = 128

const COMMA = 44
const EQUALS = 61

// Scratch space for member bounds. Parsing is synchronous and never re-entered, so
// one set per thread avoids allocating arrays per request. One extra slot lets the
// scan notice a 33rd member.
const memberStart = new Int32Array(TRACESTATE_MAX_MEMBERS + 1)
const memberEnd = new Int32Array(TRACESTATE_MAX_MEMBERS + 1)
const memberEquals = new Int32Array(TRACESTATE_MAX_MEMBERS + 1)
const memberKept = new Uint8Array(TRACESTATE_MAX_MEMBERS + 1)

/** Joins repeated header values the way HTTP combines a list header. */
export function combineHeaderValues(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : value.join(',')
}

/**
 * Validates a combined `tracestate` value and returns what to forward: the header
 * itself when it is already canonical (no OWS, no empty members, no repeated keys,
 * within limits; the common case, no new string), a rebuilt or trimmed list otherwise, '' when it holds
 * no members, and undefined when it is invalid (see the rules above).
 */
export function parseTracestate(header: string): string | undefined {
  let count = 0
  let pos = 0
  const length = header.length
  while (pos <= length) {
    let comma = header.indexOf(',', pos)
    if (comma === -1) comma = length
    const start = skipOwsForward(header, pos, comma)
    const end = skipOwsBackward(header, start, comma)
    pos = comma + 1
    if (start === end) continue
    const equals = header.indexOf('=', start)
    if (equals === -1 || equals >= end) return undefined
    if (!isValidKey(header, start, equals) || !isValidValue(header, equals + 1, end)) return undefined
    if (isRepeatedKey(header, count, start, equals)) continue
    if (count === TRACESTATE_MAX_MEMBERS) return undefined
    memberStart[count] = start
    memberEnd[count] = end
    memberEquals[count] = equals
    count++
  }
  if (count === 0) return ''

  let total = count - 1
  for (let i = 0; i < count; i++) total += memberEnd[i]! - memberStart[i]!
  // Every character belongs to a kept member or a separator (nothing was skipped:
  // no OWS, empty or repeated member): forward the header as it is.
  if (total === length && total <= TRACESTATE_MAX_LENGTH) return header

  for (let i = 0; i < count; i++) memberKept[i] = 1
  let kept = count
  for (let i = count - 1; i >= 0 && total > TRACESTATE_MAX_LENGTH; i--) {
    const size = memberEnd[i]! - memberStart[i]!
    if (size > TRACESTATE_LONG_MEMBER_LENGTH) {
      memberKept[i] = 0
      kept--
      total -= size + (kept > 0 ? 1 : 0)
    }
  }
  for (let i = count - 1; i >= 0 && total > TRACESTATE_MAX_LENGTH; i--) {
    if (memberKept[i] === 0) continue
    memberKept[i] = 0
    kept--
    total -= memberEnd[i]! - memberStart[i]! + (kept > 0 ? 1 : 0)
  }

  let out = ''
  for (let i = 0; i < count; i++) {
    if (memberKept[i] === 0) continue
    if (out.length > 0) out += ','
    out += header.slice(memberStart[i]!, memberEnd[i]!)
  }
  return out
}

/** True when the key `header[start, equals)` is one of the first `count` members' keys. */
function isRepeatedKey(header: string, count: number, start: number, equals: number): boolean {
  for (let j = 0; j < count; j++) {
    if (sameRange(header, memberStart[j]!, memberEquals[j]!, start, equals)) return true
  }
  return false
}

function sameRange(s: string, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false
  for (let i = 0; i < aEnd - aStart; i++) {
    if (s.charCodeAt(aStart + i) !== s.charCodeAt(bStart + i)) return false
  }
  return true
}

function isLowerAlpha(c: number): boolean {
  return c >= 97 && c <= 122
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" */
function isKeyChar(c: number): boolean {
  return isLowerAlpha(c) || isDigit(c) || c === 95 || c === 45 || c === 42 || c === 47 || c === 64
}

/**
 * key = ( lcalpha / DIGIT ) 0*255( keychar )
 *
 * Level 2's grammar: the older split into `simple-key` and `tenant@system` keys (with
 * their own length limits) is gone; `@` is an ordinary key character after the first.
 */
function isValidKey(s: string, start: number, end: number): boolean {
  const length = end - start
  if (length === 0 || length > 256) return false
  const first = s.charCodeAt(start)
  if (!isLowerAlpha(first) && !isDigit(first)) return false
  for (let i = start + 1; i < end; i++) if (!isKeyChar(s.charCodeAt(i))) return false
  return true
}

/**
 * value = 0*255( chr ) nblk-chr
 * chr = %x20 / nblk-chr ; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E (printable ASCII but `,` `=`)
 */
function isValidValue(s: string, start: number, end: number): boolean {
  const length = end - start
  if (length === 0 || length > 256) return false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === COMMA || c === EQUALS) return false
  }
  // The last character must not be a space (the caller trims OWS; kept for direct use).
  return !isOws(s.charCodeAt(end - 1))
}
