/**
 * Unsigned 64-bit values held as two unsigned 32-bit halves (`lo`, `hi`), as
 * the protobuf reader reads a fixed64, worked on without a BigInt: a span's
 * times and duration in nanoseconds on the ClickHouse store's plain-span path
 * (clickhouse-plain-span.ts). There, a BigInt per time, its difference, its
 * text and its conversions to a number were 3-4 % of the collector's CPU
 * (perf, 1M spans) and garbage for every span.
 *
 * Division guesses the quotient from doubles, which is off by one at most
 * (its relative error is about 2^-52 of a quotient below 2^53), and finds the
 * remainder from the low 32 bits alone: the remainder is below the divisor,
 * so those bits decide it, and a guess one too small or too large shows as a
 * remainder past the divisor, each in a range of its own.
 */

/** A quotient and remainder, reused from division to division (valid until the next). */
export class Uint64Division {
  quotient = 0
  remainder = 0

  /** (hi * 2^32 + lo) divided by `divisor` (a whole number from 2^11 to 2^30: the two ranges below stay apart), into `quotient` and `remainder`. */
  divide(lo: number, hi: number, divisor: number): this {
    let quotient = Math.floor(hi * (4294967296 / divisor) + lo / divisor)
    // Math.imul takes the quotient's low 32 bits, which is all the low 32 bits of the product need.
    let remainder = (lo - Math.imul(quotient, divisor)) >>> 0
    if (remainder >= divisor) {
      if (remainder < 2 * divisor) {
        // One too small: the remainder is the divisor too large.
        quotient++
        remainder -= divisor
      } else {
        // One too large: the remainder wrapped below 2^32.
        quotient--
        remainder = (remainder + divisor) >>> 0
      }
    }
    this.quotient = quotient
    this.remainder = remainder
    return this
  }
}

const division = new Uint64Division()

/** Nanoseconds as milliseconds: what otlp-values.ts nanosToMs gives for the same value as a BigInt. */
export function halvesToMs(lo: number, hi: number): number {
  division.divide(lo, hi, 1_000_000)
  return division.quotient + division.remainder / 1e6
}

/** Whether (hi, lo) is below (otherHi, otherLo). */
export function isBelow(lo: number, hi: number, otherLo: number, otherHi: number): boolean {
  return hi < otherHi || (hi === otherHi && lo < otherLo)
}
