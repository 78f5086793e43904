/**
 * A protobuf wire-format reader over one Buffer: varints, fixed32/fixed64,
 * length-delimited fields, and skipping of a field of any wire type (groups
 * included), for decoders that read each field straight into what they build.
 *
 * Every read is bounded by the end of the message being read, which the
 * caller passes: a truncated varint or fixed value, a length that runs past
 * its message, an invalid wire type or an unbalanced group is a
 * ProtoWireError naming the offset, and nothing past that end is read.
 * protobufjs is laxer (a string whose length runs past the end is cut short,
 * a nested message may overrun its parent); those bodies are refused here.
 *
 * Values are read as protobufjs reads them, so that a decoder built on this
 * sees what the generated classes would: 32-bit reads keep a varint's low 32
 * bits, a 64-bit varint keeps its low 64 bits.
 */

/** The bytes are not protobuf (or not the message they were said to be). */
export class ProtoWireError extends Error {}

/** Wire types: the low three bits of a tag. */
export const WIRE_VARINT = 0
export const WIRE_FIXED64 = 1
export const WIRE_LENGTH_DELIMITED = 2
export const WIRE_START_GROUP = 3
export const WIRE_END_GROUP = 4
export const WIRE_FIXED32 = 5

/** Groups (in unknown fields) nested deeper than this are refused, as protobufjs and protoc refuse them. */
export const MAX_GROUP_NESTING = 100

/**
 * Node's Buffer.prototype holds the per-encoding slicers that toString
 * dispatches to after checking its arguments; called directly (as protobufjs
 * does) they save a third of the cost of a short string. toString stands in
 * should a Node version not have them.
 */
type Slicer = (this: Buffer, start: number, end: number) => string
const bufferSlicers = Buffer.prototype as unknown as Partial<Record<'utf8Slice' | 'hexSlice' | 'base64Slice', Slicer>>
const utf8Slice: Slicer =
  bufferSlicers.utf8Slice ??
  function (start, end) {
    return this.toString('utf8', start, end)
  }
const hexSlice: Slicer =
  bufferSlicers.hexSlice ??
  function (start, end) {
    return this.toString('hex', start, end)
  }
const base64Slice: Slicer =
  bufferSlicers.base64Slice ??
  function (start, end) {
    return this.toString('base64', start, end)
  }

export class ProtoWireReader {
  pos = 0
  /** The low and high 32 bits (unsigned) of the last `varint64` or `fixed64` read. */
  lo = 0
  hi = 0

  constructor(readonly buf: Buffer) {}

  /** A varint's low 32 bits, unsigned: tags, lengths, enums, bools. */
  uint32(end: number): number {
    const pos = this.pos
    if (pos < end) {
      const b = this.buf[pos]!
      if (b < 0x80) {
        this.pos = pos + 1
        return b
      }
    }
    this.varint64(end)
    return this.lo
  }

  /** A varint of up to 64 bits, into `lo` and `hi` (a 10th byte's bits beyond the 64th are dropped, as protobufjs does). */
  varint64(end: number): void {
    const buf = this.buf
    const start = this.pos
    let pos = start
    let lo = 0
    let hi = 0
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw this.truncated('varint', start, end)
      const b = buf[pos++]!
      lo |= (b & 0x7f) << shift
      if (b < 0x80) return this.setVarint(pos, lo, 0)
    }
    // The 5th byte straddles the halves: 4 bits to lo, 3 to hi.
    if (pos >= end) throw this.truncated('varint', start, end)
    let b = buf[pos++]!
    lo |= (b & 0x0f) << 28
    hi = (b & 0x7f) >> 4
    if (b < 0x80) return this.setVarint(pos, lo, hi)
    for (let shift = 3; shift < 38; shift += 7) {
      if (pos >= end) throw this.truncated('varint', start, end)
      b = buf[pos++]!
      hi |= (b & 0x7f) << shift
      if (b < 0x80) return this.setVarint(pos, lo, hi)
    }
    throw new ProtoWireError(`a varint longer than 10 bytes at offset ${start}`)
  }

  private setVarint(pos: number, lo: number, hi: number): void {
    this.pos = pos
    this.lo = lo >>> 0
    this.hi = hi >>> 0
  }

  fixed32(end: number): number {
    const pos = this.pos
    if (pos + 4 > end) throw this.truncated('fixed32', pos, end)
    const buf = this.buf
    this.pos = pos + 4
    return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0
  }

  /** A fixed64, into `lo` and `hi`. */
  fixed64(end: number): void {
    const pos = this.pos
    if (pos + 8 > end) throw this.truncated('fixed64', pos, end)
    const buf = this.buf
    this.lo = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0
    this.hi = (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0
    this.pos = pos + 8
  }

  double(end: number): number {
    const pos = this.pos
    if (pos + 8 > end) throw this.truncated('double', pos, end)
    this.pos = pos + 8
    return this.buf.readDoubleLE(pos)
  }

  /** Reads a length-delimited field's length and returns where its content ends; `pos` is then at its first byte. */
  lengthEnd(end: number): number {
    const at = this.pos
    const length = this.uint32(end)
    const contentEnd = this.pos + length
    if (contentEnd > end) throw new ProtoWireError(`a field of ${length} bytes at offset ${at} runs past the end of its message (offset ${end})`)
    return contentEnd
  }

  /** A length-delimited field as UTF-8 (invalid sequences become U+FFFD, as protobufjs decodes them). */
  string(end: number): string {
    const contentEnd = this.lengthEnd(end)
    const text = utf8Slice.call(this.buf, this.pos, contentEnd)
    this.pos = contentEnd
    return text
  }

  /** Bytes `start` to `end` of the buffer as UTF-8 text, as `string` decodes it. */
  utf8(start: number, end: number): string {
    return utf8Slice.call(this.buf, start, end)
  }

  hex(start: number, end: number): string {
    return hexSlice.call(this.buf, start, end)
  }

  base64(start: number, end: number): string {
    return base64Slice.call(this.buf, start, end)
  }

  /**
   * Runs `walk` over the bytes from `start` to `end`, then comes back to where
   * the reader was: for checking a message that a later copy of its field
   * replaced, without decoding it.
   */
  walkAside(start: number, end: number, walk: (reader: ProtoWireReader, end: number) => void): void {
    const at = this.pos
    this.pos = start
    walk(this, end)
    this.pos = at
  }

  /** Skips the value of a field whose tag was just read. */
  skip(tag: number, end: number, depth = 0): void {
    const at = this.pos
    if (tag >>> 3 === 0) throw new ProtoWireError(`field number 0 (tag ${tag}) before offset ${at}`)
    switch (tag & 7) {
      case WIRE_VARINT:
        this.varint64(end)
        return
      case WIRE_FIXED64:
        if (at + 8 > end) throw this.truncated('fixed64', at, end)
        this.pos = at + 8
        return
      case WIRE_LENGTH_DELIMITED:
        this.pos = this.lengthEnd(end)
        return
      case WIRE_START_GROUP:
        this.skipGroup(tag >>> 3, end, depth)
        return
      case WIRE_FIXED32:
        if (at + 4 > end) throw this.truncated('fixed32', at, end)
        this.pos = at + 4
        return
      case WIRE_END_GROUP:
        throw new ProtoWireError(`an end-group tag (field ${tag >>> 3}) with no group open, before offset ${at}`)
      default:
        throw new ProtoWireError(`invalid wire type ${tag & 7} (field ${tag >>> 3}) before offset ${at}`)
    }
  }

  private skipGroup(field: number, end: number, depth: number): void {
    if (depth >= MAX_GROUP_NESTING) throw new ProtoWireError(`groups nested more than ${MAX_GROUP_NESTING} deep at offset ${this.pos}`)
    for (;;) {
      if (this.pos >= end) throw new ProtoWireError(`the group of field ${field} has no end-group tag before offset ${end}`)
      const tag = this.uint32(end)
      if ((tag & 7) === WIRE_END_GROUP) {
        if (tag >>> 3 !== field) throw new ProtoWireError(`the group of field ${field} is closed as field ${tag >>> 3} before offset ${this.pos}`)
        return
      }
      this.skip(tag, end, depth + 1)
    }
  }

  /** Walks a message to its end, skipping every field: checks its structure without decoding it. */
  skipMessage(end: number, depth = 0): void {
    while (this.pos < end) this.skip(this.uint32(end), end, depth)
  }

  private truncated(what: string, at: number, end: number): ProtoWireError {
    return new ProtoWireError(`a ${what} at offset ${at} is cut off by the end of its message (offset ${end})`)
  }
}
