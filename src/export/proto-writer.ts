/**
 * A forward-only protobuf writer and the OTLP common values (AnyValue,
 * KeyValue, int64, unix-nano times), written straight into one growing
 * buffer with no per-value allocation.
 *
 * Why hand-written: @opentelemetry/otlp-transformer builds an SDK-shaped
 * object, then an OTLP-shaped object tree (one object per attribute, per
 * value, per time as {low, high}), then protobufjs walks that tree with a
 * fork/ldelim writer that allocates per nested message: ~15-20 µs and several
 * hundred bytes of garbage per span (bench/otlp-encode.bench.js). The mapping
 * rules are the transformer's: integers -> intValue (int64, protobufjs'
 * number -> int64 conversion), other numbers -> doubleValue.
 *
 * Field numbers: opentelemetry/proto/common/v1.
 */
import type { AttributeValue, Attributes } from '../span/span-record.js'
import { COMMON_TAG } from '../otlp-wire/otlp-field-tags.js'

const TAG = COMMON_TAG

const TWO_32 = 4294967296

/**
 * A forward-only protobuf writer. A nested message's length is not known
 * until its content is written, so `beginMessage` reserves one byte for it
 * and `endMessage` writes the length there, moving the content when the
 * length needs more bytes (a memmove of that message only: rare for the small
 * messages, one short move per span for the span itself).
 */
export class ProtoWriter {
  buf: Uint8Array
  pos = 0
  private view: DataView
  /** The same memory as a Buffer, for its native UTF-8 writer. */
  private nodeBuffer: Buffer

  /**
   * `shared`: the memory is a SharedArrayBuffer, so a finished batch can be
   * handed to a worker thread without copying, and handed again if that
   * worker dies (a transferred ArrayBuffer would have gone with it).
   */
  constructor(
    initial: number | SharedArrayBuffer,
    private readonly shared = false,
  ) {
    // A SharedArrayBuffer given is memory to reuse (a batch the worker is done with).
    this.buf = typeof initial === 'number' ? this.allocate(initial) : new Uint8Array(initial)
    this.view = new DataView(this.buf.buffer)
    this.nodeBuffer = Buffer.from(this.buf.buffer, 0, this.buf.length)
  }

  private allocate(bytes: number): Uint8Array {
    return new Uint8Array(this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes))
  }

  reset(): void {
    this.pos = 0
  }

  /** Makes room for `bytes` more bytes. */
  ensure(bytes: number): void {
    const needed = this.pos + bytes
    if (needed <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < needed) size *= 2
    const grown = this.allocate(size)
    grown.set(this.buf.subarray(0, this.pos))
    this.buf = grown
    this.view = new DataView(grown.buffer)
    this.nodeBuffer = Buffer.from(grown.buffer, 0, size)
  }

  byte(value: number): void {
    this.ensure(1)
    this.buf[this.pos++] = value
  }

  /** Unsigned varint of a value below 2^32. */
  varint32(value: number): void {
    this.ensure(5)
    const buf = this.buf
    let pos = this.pos
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80
      value >>>= 7
    }
    buf[pos++] = value
    this.pos = pos
  }

  /** Varint of a 64-bit value given as two unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    if (hi === 0) {
      this.varint32(lo)
      return
    }
    this.ensure(10)
    const buf = this.buf
    let pos = this.pos
    // 28 low bits first (4 groups of 7), then a group straddling both halves.
    for (let i = 0; i < 4; i++) {
      buf[pos++] = (lo & 0x7f) | 0x80
      lo >>>= 7
    }
    // lo has 4 bits left; take 3 bits from hi.
    const group = lo | ((hi & 0x07) << 4)
    hi >>>= 3
    if (hi === 0) {
      buf[pos++] = group
      this.pos = pos
      return
    }
    buf[pos++] = group | 0x80
    while (hi > 0x7f) {
      buf[pos++] = (hi & 0x7f) | 0x80
      hi >>>= 7
    }
    buf[pos++] = hi
    this.pos = pos
  }

  fixed32(value: number): void {
    this.ensure(4)
    this.view.setUint32(this.pos, value >>> 0, true)
    this.pos += 4
  }

  fixed64(lo: number, hi: number): void {
    this.ensure(8)
    this.view.setUint32(this.pos, lo, true)
    this.view.setUint32(this.pos + 4, hi, true)
    this.pos += 8
  }

  double(value: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, value, true)
    this.pos += 8
  }

  /** Length-prefixed UTF-8 (Node's TextEncoder and Buffer agree: lone surrogates become U+FFFD). */
  string(value: string): void {
    const length = value.length
    this.ensure(length * 3 + 5)
    const buf = this.buf
    const start = this.pos
    if (length < 128) {
      // Short ASCII, the usual case: one length byte, a byte per character.
      let pos = start + 1
      let i = 0
      for (; i < length; i++) {
        const c = value.charCodeAt(i)
        if (c >= 0x80) break
        buf[pos++] = c
      }
      if (i === length) {
        buf[start] = length
        this.pos = pos
        return
      }
    }
    const bytes = this.utf8Into(value, start + 1)
    this.pos = start + 1
    this.placeLength(start, bytes)
  }

  /** Length-prefixed bytes from a hex id (trace and span ids, validated lowercase hex upstream). */
  hexBytes(hex: string): void {
    const count = hex.length >>> 1
    this.ensure(count + 5)
    const buf = this.buf
    let pos = this.pos
    buf[pos++] = count
    for (let i = 0; i < hex.length; i += 2) {
      buf[pos++] = (hexNibble(hex.charCodeAt(i)) << 4) | hexNibble(hex.charCodeAt(i + 1))
    }
    this.pos = pos
  }

  /** Bytes already encoded (a message prefix written once). */
  raw(value: Uint8Array): void {
    this.ensure(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
  }

  bytes(value: Uint8Array): void {
    this.varint32(value.length)
    this.ensure(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
  }

  /**
   * Reserves two length bytes for a message expected to be 128 bytes to 16 KiB
   * long (a span): its length is then written in place, with no move of its
   * content; `endLongMessage` moves it only when the guess was wrong.
   */
  beginLongMessage(): number {
    this.ensure(2)
    const at = this.pos
    this.pos += 2
    return at
  }

  endLongMessage(at: number): void {
    const contentLength = this.pos - at - 2
    if (contentLength >= 0x80 && contentLength < 0x4000) {
      this.buf[at] = (contentLength & 0x7f) | 0x80
      this.buf[at + 1] = contentLength >>> 7
      return
    }
    // Shorter or longer than reserved for: shift the content to a minimal varint.
    const lengthBytes = varintSize(contentLength)
    this.ensure(lengthBytes)
    this.buf.copyWithin(at + lengthBytes, at + 2, at + 2 + contentLength)
    this.pos = at
    this.varint32(contentLength)
    this.pos = at + lengthBytes + contentLength
  }

  /**
   * Writes `value` as ASCII at `at` if it is ASCII (the usual case for header
   * values and attribute keys), returning false, with nothing to undo but
   * `pos`, at the first other character. The caller made room for it.
   */
  asciiAt(value: string, at: number): boolean {
    const buf = this.buf
    const length = value.length
    for (let i = 0; i < length; i++) {
      const c = value.charCodeAt(i)
      if (c >= 0x80) return false
      buf[at + i] = c
    }
    return true
  }

  /** Reserves the length byte of a nested message; returns where it is. */
  beginMessage(): number {
    this.ensure(1)
    return this.pos++
  }

  /** Writes the length of the message begun at `at`, moving its content if the length needs more than one byte. */
  endMessage(at: number): void {
    const contentLength = this.pos - at - 1
    this.pos = at + 1
    this.placeLength(at, contentLength)
  }

  /**
   * `contentLength` bytes of content start at `at + 1` (and `this.pos` is at
   * `at + 1`): writes the varint length at `at`, shifting the content right
   * when the varint takes more than the one reserved byte.
   */
  private placeLength(at: number, contentLength: number): void {
    const lengthBytes = varintSize(contentLength)
    if (lengthBytes > 1) {
      this.ensure(contentLength + lengthBytes)
      this.buf.copyWithin(at + lengthBytes, at + 1, at + 1 + contentLength)
    }
    this.pos = at
    this.varint32(contentLength)
    this.pos = at + lengthBytes + contentLength
  }

  private utf8Into(value: string, at: number): number {
    return this.nodeBuffer.write(value, at, 'utf8')
  }

  /** A copy of the bytes written (the buffer itself is reused). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }
}

function hexNibble(code: number): number {
  // '0'-'9' -> 0-9, 'a'-'f' -> 10-15, 'A'-'F' -> 10-15 (as the transformer's hexToBinary).
  if (code <= 57) return code - 48
  if (code >= 97) return code - 87
  return code - 55
}

/*
 * Optional fields: left out at their proto3 default ('' or 0), as the
 * transformer's bytes decode the same. Plain calls, nothing allocated.
 */

/** A string field, left out when empty. */
export function writeStringField(w: ProtoWriter, tag: number, value: string): void {
  if (value === '') return
  w.byte(tag)
  w.string(value)
}

/** A bytes field given as hex (an id), left out when empty. */
export function writeHexField(w: ProtoWriter, tag: number, hex: string): void {
  if (hex === '') return
  w.byte(tag)
  w.hexBytes(hex)
}

/** A varint field (an enum, a count), left out when 0; these never hold negative values. */
export function writeVarintField(w: ProtoWriter, tag: number, value: number): void {
  if (!(value > 0)) return
  w.byte(tag)
  w.varint32(value)
}

export function varintSize(value: number): number {
  if (value < 0x80) return 1
  if (value < 0x4000) return 2
  if (value < 0x200000) return 3
  if (value < 0x10000000) return 4
  return 5
}

/**
 * Epoch ms (float) -> unix nanoseconds as fixed64, exactly as the transformer
 * computes it from `unixMsToHrTime` ([s, ns] then s * 1e9 + ns as a BigInt),
 * but in 32-bit halves without BigInt: s * 1e9 + ns does not fit a double.
 * The times of a span (start, events, end) mostly fall in the same second,
 * so s * 1e9 in halves is kept from the last call.
 */
let cachedSeconds = -1
let cachedSecondsLo = 0
let cachedSecondsHi = 0

/** What `splitUnixMs` found; one object for every call, so splitting a time allocates nothing. */
export const unixMsSplit = { seconds: 0, nanos: 0 }

/** Epoch ms (float) -> whole seconds and the nanoseconds past them (`unixMsSplit`), as `unixMsToHrTime` splits it. */
export function splitUnixMs(unixMs: number): void {
  let seconds = Math.floor(unixMs / 1000)
  let nanos = Math.round((unixMs - seconds * 1000) * 1e6)
  if (nanos >= 1e9) {
    seconds += 1
    nanos -= 1e9
  } else if (nanos < 0) {
    nanos = 0
  }
  unixMsSplit.seconds = seconds
  unixMsSplit.nanos = nanos
}

export function writeUnixNanos(w: ProtoWriter, unixMs: number): void {
  splitUnixMs(unixMs)
  const seconds = unixMsSplit.seconds
  const nanos = unixMsSplit.nanos
  if (seconds < 0) {
    // Before 1970: not a time a proxy records; encode as 0 rather than wrap.
    w.fixed64(0, 0)
    return
  }
  if (seconds !== cachedSeconds) {
    // seconds = a * 2^16 + b; every partial product below stays under 2^53.
    const a = Math.floor(seconds / 65536)
    const b = seconds - a * 65536
    const x = a * 1e9 // times 2^16
    const y = b * 1e9
    const xLow16 = x % 65536
    const yLo = y % TWO_32
    let lo = xLow16 * 65536 + yLo
    const carry = Math.floor(lo / TWO_32)
    lo -= carry * TWO_32
    cachedSecondsHi = (Math.floor(x / 65536) + Math.floor(y / TWO_32) + carry) % TWO_32
    cachedSecondsLo = lo
    cachedSeconds = seconds
  }
  // nanos < 1e9 < 2^30: at most one carry into the high half.
  let lo = cachedSecondsLo + nanos
  let hi = cachedSecondsHi
  if (lo >= TWO_32) {
    lo -= TWO_32
    hi = (hi + 1) % TWO_32
  }
  w.fixed64(lo, hi)
}

/** protobufjs' number -> int64 (LongBits.fromNumber), so values match the transformer's bit for bit. */
export function writeInt64(w: ProtoWriter, value: number): void {
  if (value === 0) {
    w.varint32(0)
    return
  }
  const negative = value < 0
  if (negative) value = -value
  let lo = value >>> 0
  let hi = ((value - lo) / TWO_32) >>> 0
  if (negative) {
    hi = ~hi >>> 0
    lo = ~lo >>> 0
    if (++lo > 0xffffffff) {
      lo = 0
      if (++hi > 0xffffffff) hi = 0
    }
  }
  w.varint64(lo, hi)
}

/** AnyValue content (without its own length), by the transformer's `toAnyValue` rules. */
export function writeAnyValue(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.byte(TAG.anyString)
      w.string(value)
      return
    case 'number':
      if (Number.isInteger(value)) {
        w.byte(TAG.anyInt)
        writeInt64(w, value)
      } else {
        w.byte(TAG.anyDouble)
        w.double(value)
      }
      return
    case 'boolean':
      w.byte(TAG.anyBool)
      w.byte(value ? 1 : 0)
      return
    case 'object': {
      if (value === null) return
      if (value instanceof Uint8Array) {
        w.byte(TAG.anyBytes)
        w.bytes(value)
        return
      }
      if (Array.isArray(value)) {
        w.byte(TAG.anyArray)
        const array = w.beginMessage()
        for (const item of value) {
          w.byte(TAG.arrayValues)
          const element = w.beginMessage()
          writeAnyValue(w, item)
          w.endMessage(element)
        }
        w.endMessage(array)
        return
      }
      w.byte(TAG.anyKvList)
      const list = w.beginMessage()
      writeAttributes(w, TAG.kvListValues, value as Record<string, unknown>)
      w.endMessage(list)
      return
    }
    default:
      // undefined, functions, symbols, bigint: an empty AnyValue, as the transformer writes.
      return
  }
}

/** One KeyValue under field `tag`. */
export function writeKeyValue(w: ProtoWriter, tag: number, key: string, value: unknown): void {
  if (typeof value === 'string' ? writeShortStringKeyValue(w, tag, key, value) : typeof value === 'number' && writeSmallIntKeyValue(w, tag, key, value)) return
  w.byte(tag)
  const keyValue = w.beginMessage()
  w.byte(TAG.keyValueKey)
  w.string(key)
  w.byte(TAG.keyValueValue)
  const anyValue = w.beginMessage()
  writeAnyValue(w, value)
  w.endMessage(anyValue)
  w.endMessage(keyValue)
}

/**
 * The usual attribute, an ASCII key and an ASCII string value that fit one
 * message under 128 bytes, with every length known before writing: no
 * nested length slots to fill in. False, with nothing written, otherwise.
 */
function writeShortStringKeyValue(w: ProtoWriter, tag: number, key: string, value: string): boolean {
  const valueLength = value.length
  let pos = writeShortKeyValueHead(w, tag, key, 2 + valueLength, TAG.anyString)
  if (pos === -1) return false
  w.buf[pos++] = valueLength
  if (!w.asciiAt(value, pos)) return false
  w.pos = pos + valueLength
  return true
}

/** An ASCII key with a non-negative integer value below 2^31 (ports, sizes, status codes), as above. */
function writeSmallIntKeyValue(w: ProtoWriter, tag: number, key: string, value: number): boolean {
  if (!(value >= 0 && value < 0x80000000 && Number.isInteger(value))) return false
  const pos = writeShortKeyValueHead(w, tag, key, 1 + varintSize(value), TAG.anyInt)
  if (pos === -1) return false
  w.pos = pos
  w.varint32(value)
  return true
}

/**
 * Everything of a short KeyValue before the AnyValue's content: its tag and
 * length, the ASCII key, the AnyValue's tag and length (`anyLength`) and the
 * value's own tag. Returns where the value's content goes (`w.pos` is left
 * alone), or -1 when the message would be 128 bytes or more or the key is
 * not ASCII.
 */
function writeShortKeyValueHead(w: ProtoWriter, tag: number, key: string, anyLength: number, valueTag: number): number {
  const keyLength = key.length
  const keyValueLength = 2 + keyLength + 2 + anyLength
  if (keyValueLength >= 0x80) return -1
  w.ensure(2 + keyValueLength)
  const buf = w.buf
  const at = w.pos
  buf[at] = tag
  buf[at + 1] = keyValueLength
  buf[at + 2] = TAG.keyValueKey
  buf[at + 3] = keyLength
  if (!w.asciiAt(key, at + 4)) return -1
  let pos = at + 4 + keyLength
  buf[pos++] = TAG.keyValueValue
  buf[pos++] = anyLength
  buf[pos++] = valueTag
  return pos
}

/** Repeated KeyValue under field `tag`. */
export function writeAttributes(w: ProtoWriter, tag: number, attributes: Attributes | Record<string, unknown>): void {
  const keys = Object.keys(attributes)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    writeKeyValue(w, tag, key, (attributes as Record<string, AttributeValue>)[key])
  }
}
