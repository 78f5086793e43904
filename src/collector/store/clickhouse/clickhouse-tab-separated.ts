/**
 * Insert bodies in ClickHouse's TabSeparated format, which every server
 * version reads (Debian's 18.16 too): one line per row, columns split by
 * tabs, as UTF-8.
 *
 * Escaping, as ClickHouse reads it: in a String field a backslash, tab,
 * line feed and carriage return are written as \\, \t, \n, \r (the rest,
 * non-ASCII included, goes as its UTF-8 bytes); an Array(String) field is
 * `['a','b']`, each element quoted with ' and \ escaped, and tab, line feed
 * and carriage return escaped as above so the row stays one line.
 *
 * A row's fields are written straight into the body's buffer, a character
 * at a time for ASCII text: building each row as a string first (pieces
 * joined, flattened, then encoded) allocated about 3.6 KB per span for a
 * 650-byte row, and that garbage was much of a busy collector's
 * garbage-collection time. Text with a non-ASCII character is escaped as a
 * string and encoded by Buffer.write (lone surrogates become U+FFFD there).
 * Numbers are written as digits, without a string.
 */
import { Uint64Division } from '../../otlp/uint64-halves.js'
import type { BodyBuffers } from './body-buffers.js'

const FIELD_SPECIAL_ALL = /[\\\t\n\r]/g
const QUOTED_SPECIAL_ALL = /[\\'\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'" }
const escapeOf = (c: string): string => ESCAPES[c]!

const BACKSLASH = 0x5c
const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const QUOTE = 0x27
const COMMA = 0x2c
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** The letter after the backslash for a character written escaped (0: written as is), by char code below 128. */
const FIELD_ESCAPE = new Uint8Array(128)
FIELD_ESCAPE[BACKSLASH] = BACKSLASH
FIELD_ESCAPE[TAB] = 0x74 // t
FIELD_ESCAPE[LF] = 0x6e // n
FIELD_ESCAPE[CR] = 0x72 // r
const QUOTED_ESCAPE = FIELD_ESCAPE.slice()
QUOTED_ESCAPE[QUOTE] = QUOTE
const HEX_DIGITS = Buffer.from('0123456789abcdef')
/** "00" to "99": the two digits of each number below 100. */
const DIGIT_PAIRS = Buffer.from(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')).join(''))

/** An insert body being written, one row after the other, into one buffer that doubles when a row needs more room. */
export class TabSeparatedBody {
  private buffer: Buffer
  private readonly division = new Uint64Division()
  /** Bytes written so far: where the next byte goes. */
  length = 0

  /**
   * @param expectedBytes room to start with.
   * @param buffers where the buffer comes from and goes back to (`release`); without, new buffers.
   */
  constructor(
    expectedBytes: number,
    private readonly buffers?: BodyBuffers,
  ) {
    const bytes = Math.max(64, expectedBytes)
    this.buffer = buffers === undefined ? Buffer.allocUnsafe(bytes) : buffers.take(bytes)
  }

  /** Makes room for `bytes` more. */
  private room(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return
    const size = Math.max(this.buffer.length * 2, this.length + bytes)
    const grown = this.buffers === undefined ? Buffer.allocUnsafe(size) : this.buffers.take(size)
    this.buffer.copy(grown, 0, 0, this.length)
    this.buffers?.give(this.buffer)
    this.buffer = grown
  }

  /**
   * `text` escaped by `escapes`; false (nothing written) when it holds a character
   * beyond ASCII. Room for the escaped ASCII text is made first (at most two bytes a character).
   */
  private ascii(text: string, escapes: Uint8Array): boolean {
    const n = text.length
    this.room(2 * n)
    const buffer = this.buffer
    let at = this.length
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) return false
      const escape = escapes[c]!
      if (escape !== 0) {
        buffer[at++] = BACKSLASH
        buffer[at++] = escape
      } else {
        buffer[at++] = c
      }
    }
    this.length = at
    return true
  }

  /** Text already escaped, as UTF-8 (three bytes at most per UTF-16 code unit). */
  private utf8(text: string): void {
    this.room(3 * text.length)
    this.length += this.buffer.write(text, this.length, 'utf8')
  }

  // A row is written column by column: each of field, plain and uint writes one column and the tab
  // after it, and endRow turns the last tab into the line's end.

  /** A String column. */
  field(text: string): void {
    this.fieldText(text)
    this.byte(TAB)
  }

  /** Part of a String column (the column's tab is written by `tab`). */
  fieldText(text: string): void {
    if (!this.ascii(text, FIELD_ESCAPE)) this.utf8(text.replace(FIELD_SPECIAL_ALL, escapeOf))
  }

  /** Bytes `start` to `end` of `source` as lowercase hex digits (an id), and the column's tab. */
  hex(source: Uint8Array, start: number, end: number): void {
    this.room(2 * (end - start) + 1)
    const buffer = this.buffer
    let at = this.length
    for (let i = start; i < end; i++) {
      const b = source[i]!
      buffer[at++] = HEX_DIGITS[b >> 4]!
      buffer[at++] = HEX_DIGITS[b & 15]!
    }
    buffer[at++] = TAB
    this.length = at
  }

  tab(): void {
    this.byte(TAB)
  }

  /** One element of an Array(String) column, quoted (between startArray and endArray, commas between elements). */
  quoted(text: string): void {
    this.byte(QUOTE)
    if (!this.ascii(text, QUOTED_ESCAPE)) this.utf8(text.replace(QUOTED_SPECIAL_ALL, escapeOf))
    this.byte(QUOTE)
  }

  /** A column of text that needs no escaping and is ASCII: ids checked as hex, digits. */
  plain(text: string): void {
    const n = text.length
    this.room(n + 1)
    const buffer = this.buffer
    let at = this.length
    for (let i = 0; i < n; i++) buffer[at++] = text.charCodeAt(i)
    buffer[at++] = TAB
    this.length = at
  }

  /** A column of a whole number at least 0, as decimal digits. */
  uint(value: number): void {
    this.digits(value, 1)
    this.byte(TAB)
  }

  /** A column of an unsigned 64-bit whole number given as its 32-bit halves, as decimal digits. */
  uint64(lo: number, hi: number): void {
    // Below 2^53 the value is exact in a double.
    if (hi < 0x200000) this.digits(hi * 4294967296 + lo, 1)
    else {
      const { quotient, remainder } = this.division.divide(lo, hi, 1e9)
      this.digits(quotient, 1)
      this.digits31(remainder, 9)
    }
    this.byte(TAB)
  }

  /** The decimal digits of a safe whole number at least 0, with leading zeros up to `minDigits`. */
  private digits(value: number, minDigits: number): void {
    if (value < 0x80000000) this.digits31(value, minDigits)
    else {
      const high = Math.floor(value / 1e9)
      this.digits31(high, minDigits - 9)
      this.digits31(value - high * 1e9, 9)
    }
  }

  /** The same for a whole number below 2^31, in integer arithmetic two digits at a time. */
  private digits31(value: number, minDigits: number): void {
    let n = 1
    for (let power = 10; power <= value && n < 10; power *= 10) n++
    if (n < minDigits) n = minDigits
    this.room(n)
    const buffer = this.buffer
    const start = this.length
    let at = start + n
    while (value >= 100) {
      const rest = (value / 100) | 0
      const pair = (value - rest * 100) << 1
      buffer[--at] = DIGIT_PAIRS[pair + 1]!
      buffer[--at] = DIGIT_PAIRS[pair]!
      value = rest
    }
    if (value >= 10) {
      buffer[--at] = DIGIT_PAIRS[(value << 1) + 1]!
      buffer[--at] = DIGIT_PAIRS[value << 1]!
    } else buffer[--at] = 0x30 + value
    while (at > start) buffer[--at] = 0x30
    this.length = start + n
  }

  /**
   * `lead` (a comma or colon; 0: none), then bytes `start` to `end` of `source` as they are between two `quote`s:
   * a quoted array element or a JSON string of text that needs no escaping in any column (printable
   * ASCII without a backslash or quote, see clickhouse-plain-span.ts).
   */
  rawQuoted(lead: number, source: Uint8Array, start: number, end: number, quote: number): void {
    this.room(end - start + 3)
    const buffer = this.buffer
    let at = this.length
    if (lead !== 0) buffer[at++] = lead
    buffer[at++] = quote
    if (end - start > 32) {
      buffer.set(source.subarray(start, end), at)
      at += end - start
    } else for (let i = start; i < end; i++) buffer[at++] = source[i]!
    buffer[at++] = quote
    this.length = at
  }

  startArray(): void {
    this.byte(OPEN_BRACKET)
  }

  endArray(): void {
    this.byte(CLOSE_BRACKET)
    this.byte(TAB)
  }

  /** Bytes written before, as they are (a part of a row that many rows repeat, columns with their tabs or array elements). */
  bytes(bytes: Uint8Array): void {
    this.room(bytes.length)
    this.buffer.set(bytes, this.length)
    this.length += bytes.length
  }

  byte(value: number): void {
    this.room(1)
    this.buffer[this.length++] = value
  }

  comma(): void {
    this.byte(COMMA)
  }

  /** Ends a row: its last column's tab becomes the line's end. */
  endRow(): void {
    this.buffer[this.length - 1] = LF
  }

  /** What was written (a view of the buffer, not a copy). */
  written(): Buffer {
    return this.buffer.subarray(0, this.length)
  }

  /**
   * What was written, to keep while it waits for its insert. Without `buffers` it is copied out
   * when it fills less than half the buffer, so that a small batch does not hold on to the room
   * it did not use; with them, the buffer is given back by `release` once the insert settled.
   */
  toKeep(): Buffer {
    const written = this.written()
    return this.buffers === undefined && written.length * 2 < this.buffer.length ? Buffer.from(written) : written
  }

  /** Gives the buffer back to `buffers` for another body: nothing may read what was written after this. */
  release(): void {
    this.buffers?.give(this.buffer)
  }
}
