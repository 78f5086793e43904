/**
 * Protobuf bytes written by hand, field by field, for bodies that no encoder
 * would produce: unknown fields of each wire type, fields out of order or
 * repeated, wrong wire types, truncations. Numbers are field numbers of the
 * message being written; the caller nests them.
 */

/** A varint of up to 64 bits; a negative number is written as its 64-bit two's complement (10 bytes), as int32/int64 are. */
export function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value))
  const out: number[] = []
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Buffer.from(out)
}

export function tag(field: number, wireType: number): Buffer {
  return varint((field << 3) | wireType)
}

export function varintField(field: number, value: number | bigint): Buffer {
  return Buffer.concat([tag(field, 0), varint(value)])
}

export function fixed64Field(field: number, value: bigint): Buffer {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64LE(BigInt.asUintN(64, value))
  return Buffer.concat([tag(field, 1), bytes])
}

export function doubleField(field: number, value: number): Buffer {
  const bytes = Buffer.alloc(8)
  bytes.writeDoubleLE(value)
  return Buffer.concat([tag(field, 1), bytes])
}

export function fixed32Field(field: number, value: number): Buffer {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(value >>> 0)
  return Buffer.concat([tag(field, 5), bytes])
}

/** A length-delimited field: a nested message (its fields concatenated), a string or bytes. */
export function lengthField(field: number, ...content: Array<Buffer | string>): Buffer {
  const payload = Buffer.concat(content.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)))
  return Buffer.concat([tag(field, 2), varint(payload.length), payload])
}

/** A group (wire types 3 and 4): deprecated, but a reader must still skip one. */
export function groupField(field: number, ...content: Buffer[]): Buffer {
  return Buffer.concat([tag(field, 3), ...content, tag(field, 4)])
}

/** One unknown field of each wire type, numbered so as not to clash with OTLP's. */
export function unknownFieldsOfEveryWireType(): Buffer {
  return Buffer.concat([
    varintField(1001, 300n),
    fixed64Field(1002, 0x0123456789abcdefn),
    lengthField(1003, 'unknown bytes', lengthField(1, 'nested')),
    groupField(1004, varintField(1, 1), groupField(2, fixed32Field(3, 7))),
    fixed32Field(1005, 0xdeadbeef),
  ])
}
