/**
 * Character-level helpers shared by the parsers. They work on index ranges of the
 * header string so that nothing is sliced or allocated until a value is known good,
 * and use no regular expressions (the parsers run on every proxied request).
 */

/** Result of `scanHex`. */
export const HEX_INVALID = -1
export const HEX_ALL_ZERO = 0
export const HEX_NON_ZERO = 1
export type HexScan = typeof HEX_INVALID | typeof HEX_ALL_ZERO | typeof HEX_NON_ZERO

/**
 * Checks that `s[start, end)` is hex: lowercase only unless `allowUpper`. An empty
 * range scans as all-zero; callers check lengths first.
 */
export function scanHex(s: string, start: number, end: number, allowUpper = false): HexScan {
  let nonZero = false
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      if (c !== 48) nonZero = true
    } else if ((c >= 97 && c <= 102) || (allowUpper && c >= 65 && c <= 70)) {
      nonZero = true
    } else {
      return HEX_INVALID
    }
  }
  return nonZero ? HEX_NON_ZERO : HEX_ALL_ZERO
}

/** The value of one hex digit (any case); the caller has already validated it. */
export function hexDigitValue(c: number): number {
  if (c <= 57) return c - 48
  if (c >= 97) return c - 87
  return c - 55
}

/** HTTP optional whitespace (RFC 9110 OWS): space and horizontal tab. */
export function isOws(c: number): boolean {
  return c === 32 || c === 9
}

/** Index of the first non-OWS character at or after `start`. */
export function skipOwsForward(s: string, start: number, end: number): number {
  while (start < end && isOws(s.charCodeAt(start))) start++
  return start
}

/** One past the last non-OWS character before `end`. */
export function skipOwsBackward(s: string, start: number, end: number): number {
  while (end > start && isOws(s.charCodeAt(end - 1))) end--
  return end
}

/** '00'..'ff' for every byte, so formatting flags allocates nothing. */
export const BYTE_HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

const ZEROS_32 = '00000000000000000000000000000000'

/** Left-pads a hex id with zeros to `width` characters (ids shorter than their field). */
export function padHex(id: string, width: 16 | 32): string {
  return id.length >= width ? id : ZEROS_32.slice(0, width - id.length) + id
}

/** The 64-bit form of a trace id whose upper half is zero, else the full 128-bit id. */
export function traceIdAtWidth(traceId: string, bits: number): string {
  return bits === 64 && traceId.startsWith('0000000000000000') ? traceId.slice(16) : traceId
}
