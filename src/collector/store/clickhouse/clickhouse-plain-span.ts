/**
 * A span read from its OTLP/protobuf bytes for its ClickHouse row, without
 * the span object decode-traces-protobuf.ts makes (its attribute map, a
 * string per value, the IngestSpan around it): the row is then written from
 * the bytes (SpanRows.writePlain), and what the row needs is read once.
 *
 * Only a plain span is read this way, one whose row is sure to be the very
 * row SpanRows.write makes of the decoded span: ids of the right lengths,
 * storable times, no events or links, and attributes that are each one key
 * with one string, int, double or bool value, with no key twice, none that
 * starts with a digit (JavaScript puts integer keys first in an object, so
 * the decoded map's order would differ) and no `__proto__`; an int must be
 * a safe integer and a double finite (the decoded map holds other ones as
 * text). Any other span is decoded as before: read() says false, and the
 * caller decodes it from where it started. What SDKs send is plain: the
 * collector benchmark's spans all are.
 *
 * Text that is printable ASCII without a quote or backslash (PLAIN) needs no
 * escaping in any column (TabSeparated field, quoted array element, JSON
 * string) and is copied as bytes; other text is decoded and escaped as the
 * decoded path escapes it.
 *
 * test/collector/writes-clickhouse-rows-from-protobuf-as-decoded.test.ts
 * holds the rows of the two paths to each other, byte for byte.
 */
import { COMMON_TAG } from '../../../otlp-wire/otlp-field-tags.js'
import type { OtlpProtobufValues } from '../../otlp/otlp-protobuf-values.js'
import { SpanWireFields } from '../../otlp/span-wire-fields.js'
import type { SpanWireParts } from '../../otlp/span-wire-fields.js'
import { isBelow } from '../../otlp/uint64-halves.js'

/** 1 for a byte that needs no escaping anywhere: printable ASCII but " ' \. */
const PLAIN = new Uint8Array(256)
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = 1
PLAIN[0x22] = 0
PLAIN[0x27] = 0
PLAIN[0x5c] = 0

/** Whether bytes `start` to `end` of `buf` are all PLAIN. */
function isPlain(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (PLAIN[buf[i]!] === 0) return false
  return true
}

export const VALUE_STRING = 0
const VALUE_INT = 1
const VALUE_DOUBLE = 2
export const VALUE_BOOL = 3

/** Past this many attributes a span is decoded (the duplicate check compares every pair). */
const MAX_PLAIN_ATTRIBUTES = 64

/** The span last read, in fields reused from span to span (valid until the next read). */
export class PlainSpanReader implements SpanWireParts {
  private readonly fields = new SpanWireFields()
  traceId = ''
  spanId = ''
  /** Where the trace id's 16 bytes and the span id's 8 start in the body. */
  traceIdStart = 0
  spanIdStart = 0
  /** Start of the parent id's 8 bytes in the body; -1: none. */
  parentStart = -1
  name = ''
  kind = 0
  statusCode = 0
  statusMessage = ''
  traceState = ''
  flags = 0
  /** Times in Unix ns as 32-bit halves (uint64-halves.ts); the end is not before the start (an end before it is stored as the start). */
  startLo = 0
  startHi = 0
  endLo = 0
  endHi = 0
  /** endNs - startNs, as halves. */
  durationLo = 0
  durationHi = 0
  /** Attributes read: `attributeCount` entries of the arrays below, in the order sent. */
  attributeCount = 0
  readonly keys: string[] = []
  readonly keyStarts: number[] = []
  readonly keyEnds: number[] = []
  readonly keysPlain: boolean[] = []
  readonly valueTypes: number[] = []
  /** A string value's bytes. */
  readonly valueStarts: number[] = []
  readonly valueEnds: number[] = []
  readonly valuesPlain: boolean[] = []
  /** An int, double or bool (1 or 0) value. */
  readonly valueNumbers: number[] = []

  constructor(readonly values: OtlpProtobufValues) {}

  /**
   * Reads the span whose content ends at `end` (the reader is at its start); false when the span is
   * not plain, with the reader back at its start.
   */
  read(end: number): boolean {
    const r = this.values.r
    const start = r.pos
    if (this.readFields(end)) return true
    r.pos = start
    return false
  }

  private readFields(end: number): boolean {
    const values = this.values
    const r = values.r
    const buf = r.buf
    const fields = this.fields
    this.attributeCount = 0
    if (!fields.read(r, end, this)) return false
    const { traceIdStart, traceIdEnd, spanIdStart, spanIdEnd, parentEnd } = fields
    let parentStart = fields.parentStart
    if (traceIdEnd - traceIdStart !== 16 || isAllZero(buf, traceIdStart, traceIdEnd)) return false
    if (spanIdEnd - spanIdStart !== 8 || isAllZero(buf, spanIdStart, spanIdEnd)) return false
    if (parentStart >= 0 && parentEnd !== parentStart) {
      if (parentEnd - parentStart !== 8) return false
      if (isAllZero(buf, parentStart, parentEnd)) parentStart = -1
    } else parentStart = -1
    const { startLo, startHi } = fields
    let { endLo, endHi } = fields
    // 2^63 and above is beyond what the store holds (MAX_UNIX_NANOS).
    if (startHi > 0x7fffffff || endHi > 0x7fffffff) return false
    // Clamped as ingestSpanOf clamps them.
    this.traceId = r.hex(traceIdStart, traceIdEnd)
    this.spanId = r.hex(spanIdStart, spanIdEnd)
    this.traceIdStart = traceIdStart
    this.spanIdStart = spanIdStart
    this.parentStart = parentStart
    this.name = fields.nameStart < 0 ? '' : values.nameText(fields.nameStart, fields.nameEnd)
    this.kind = Math.min(Math.max(fields.kind, 0), 5)
    this.statusCode = Math.min(Math.max(fields.statusCode, 0), 2)
    this.statusMessage = fields.statusMessage
    this.traceState = fields.traceState
    this.flags = fields.flags
    if (isBelow(endLo, endHi, startLo, startHi)) {
      endLo = startLo
      endHi = startHi
    }
    this.startLo = startLo
    this.startHi = startHi
    this.endLo = endLo
    this.endHi = endHi
    this.durationLo = (endLo - startLo) >>> 0
    this.durationHi = (endHi - startHi - (endLo < startLo ? 1 : 0)) >>> 0
    return true
  }

  /** A span with events or links is not plain. */
  event(): boolean {
    return false
  }

  link(): boolean {
    return false
  }

  /** One KeyValue whose content ends at `end`, when plain (see above); the reader ends at `end` then. */
  attribute(end: number): boolean {
    const n = this.attributeCount
    if (n === MAX_PLAIN_ATTRIBUTES) return false
    const values = this.values
    const r = values.r
    const buf = r.buf
    let keyStart = -1
    let keyEnd = 0
    let valueStart = -1
    let valueEnd = 0
    while (r.pos < end) {
      const tag = r.uint32(end)
      if (tag === COMMON_TAG.keyValueKey && keyStart < 0) {
        keyEnd = r.lengthEnd(end)
        keyStart = r.pos
        r.pos = keyEnd
      } else if (tag === COMMON_TAG.keyValueValue && valueStart < 0) {
        valueEnd = r.lengthEnd(end)
        valueStart = r.pos
        r.pos = valueEnd
      } else return false
    }
    if (keyStart < 0 || valueStart < 0) return false
    // A key that may be an integer (JavaScript orders those first) or that an object does not keep as its own.
    if (keyEnd > keyStart && buf[keyStart]! >= 0x30 && buf[keyStart]! <= 0x39) return false
    const key = values.keyText(keyStart, keyEnd)
    if (key === '__proto__') return false
    const keys = this.keys
    for (let i = 0; i < n; i++) if (keys[i] === key) return false
    // The value: exactly one member, a string, an int that is a safe integer, a finite double or a bool.
    r.pos = valueStart
    if (valueStart === valueEnd) return false
    const tag = r.uint32(valueEnd)
    let type: number
    let number = 0
    let stringStart = 0
    let stringEnd = 0
    switch (tag) {
      case COMMON_TAG.anyString:
        type = VALUE_STRING
        stringEnd = r.lengthEnd(valueEnd)
        stringStart = r.pos
        r.pos = stringEnd
        break
      case COMMON_TAG.anyInt:
        type = VALUE_INT
        r.varint64(valueEnd)
        number = (r.hi | 0) * 4294967296 + r.lo
        if (!Number.isSafeInteger(number)) return false
        break
      case COMMON_TAG.anyDouble:
        type = VALUE_DOUBLE
        number = r.double(valueEnd)
        if (!Number.isFinite(number)) return false
        break
      case COMMON_TAG.anyBool:
        type = VALUE_BOOL
        number = r.uint32(valueEnd) !== 0 ? 1 : 0
        break
      default:
        return false
    }
    if (r.pos !== valueEnd) return false
    keys[n] = key
    this.keyStarts[n] = keyStart
    this.keyEnds[n] = keyEnd
    this.keysPlain[n] = isPlain(buf, keyStart, keyEnd)
    this.valueTypes[n] = type
    this.valueNumbers[n] = number
    this.valueStarts[n] = stringStart
    this.valueEnds[n] = stringEnd
    this.valuesPlain[n] = type !== VALUE_STRING || isPlain(buf, stringStart, stringEnd)
    this.attributeCount = n + 1
    r.pos = end
    return true
  }
}

function isAllZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false
  return true
}
