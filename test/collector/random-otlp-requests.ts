/**
 * OTLP requests of random content, as objects for protobufjs'
 * ExportTraceServiceRequest / ExportLogsServiceRequest.fromObject: every kind
 * of value (nested, several oneof members, bytes, none), ids of wrong
 * lengths or all zero, times beyond what a store holds, hostile strings.
 * Each generator draws from a SeededPrng, so a failing request replays.
 */
import type { SeededPrng } from '../helpers/seeded-prng.js'

export const STRINGS = [
  '',
  'GET /api/items/:id',
  'naïve café 漢字 😀',
  'tab\there\nnul\u0000',
  'lone surrogate \ud800 end',
  'x'.repeat(200),
  'trace_id=0af7651916cd43dd8448eb211c80319c in the text',
  'postgresql',
]
export const KEYS = ['service.name', 'http.route', 'k', '', 'db.system', 'ü', 'a.rather.long.attribute.key.that.is.longer.than.sixty.four.bytes.in.utf8']
export const INT64S = [
  '0',
  '-1',
  '42',
  '9007199254740991',
  '9007199254740993',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775808',
  '1700000000000000000',
]
export const DOUBLES = [0, -0, 1.5, -2.25, Number.NaN, Infinity, -Infinity, 1e308, 5e-324, 0.1]
// 1700006400 s is a day's start (UTC): the nanosecond before it and it fall on two days.
export const TIMES = [
  '1700000000000000000',
  '1700000000000123456',
  '1700006399999999999',
  '1700006400000000000',
  '0',
  '1',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551615',
]

export function randomAnyValue(p: SeededPrng, depth: number): Record<string, unknown> {
  const nested = depth < 4
  const kind = p.weighted<string>([
    [5, 'string'],
    [2, 'bool'],
    [3, 'int'],
    [2, 'double'],
    [nested ? 1 : 0, 'array'],
    [nested ? 1 : 0, 'kvlist'],
    [1, 'bytes'],
    [1, 'empty'],
    [1, 'several'],
  ])
  switch (kind) {
    case 'string':
      return { stringValue: p.pick(STRINGS) }
    case 'bool':
      return { boolValue: p.chance(0.5) }
    case 'int':
      return { intValue: p.chance(0.3) ? p.int(-1000, 1000) : p.pick(INT64S) }
    case 'double':
      return { doubleValue: p.chance(0.3) ? p.next() * 1e6 : p.pick(DOUBLES) }
    case 'array':
      return { arrayValue: { values: Array.from({ length: p.int(0, 3) }, () => randomAnyValue(p, depth + 1)) } }
    case 'kvlist':
      return { kvlistValue: { values: randomAttributes(p, depth + 1) } }
    case 'bytes':
      return { bytesValue: p.bytes(p.int(0, 6)) }
    case 'empty':
      return {}
    default:
      // Several oneof members at once: protobufjs keeps them all, readAnyValue picks one.
      return { ...randomAnyValue(p, depth + 1), ...randomAnyValue(p, depth + 1), ...randomAnyValue(p, depth + 1) }
  }
}

export function randomAttributes(p: SeededPrng, depth = 0): unknown[] {
  return Array.from({ length: p.int(0, 5) }, () => {
    const kv: Record<string, unknown> = {}
    if (p.chance(0.93)) kv.key = p.pick(KEYS)
    if (p.chance(0.95)) kv.value = randomAnyValue(p, depth)
    return kv
  })
}

export function randomId(p: SeededPrng, length: number): Buffer | undefined {
  return p.weighted<Buffer | undefined>([
    [12, p.bytes(length)],
    [1, Buffer.alloc(length)],
    [1, Buffer.alloc(0)],
    [1, undefined],
    [1, p.bytes(length + p.pick([-1, 1, 8]))],
  ])
}

export function randomSpan(p: SeededPrng): Record<string, unknown> {
  const span: Record<string, unknown> = {
    traceId: randomId(p, 16),
    spanId: randomId(p, 8),
    name: p.pick(STRINGS),
    kind: p.pick([0, 1, 2, 3, 4, 5, 6, 7, -1, 2147483647, -2147483648]),
    attributes: randomAttributes(p),
  }
  if (p.chance(0.5)) span.parentSpanId = randomId(p, 8)
  if (p.chance(0.9)) span.startTimeUnixNano = p.pick(TIMES)
  if (p.chance(0.9)) span.endTimeUnixNano = p.pick(TIMES)
  if (p.chance(0.3)) span.traceState = p.pick(STRINGS)
  if (p.chance(0.3)) span.flags = p.pick([0, 1, 0x301, 0xffffffff])
  if (p.chance(0.5)) span.status = { code: p.pick([0, 1, 2, 3, -1, 99]), message: p.pick(STRINGS) }
  if (p.chance(0.4)) {
    span.events = Array.from({ length: p.int(0, 3) }, () => ({
      timeUnixNano: p.pick(TIMES),
      name: p.pick(STRINGS),
      attributes: randomAttributes(p),
    }))
  }
  if (p.chance(0.3)) {
    span.links = Array.from({ length: p.int(0, 3) }, () => ({
      traceId: randomId(p, 16),
      spanId: randomId(p, 8),
      traceState: p.pick(STRINGS),
      attributes: randomAttributes(p),
      flags: p.pick([0, 0x301]),
    }))
  }
  return span
}

export function randomResourceEntries<T>(p: SeededPrng, records: string, makeRecord: (p: SeededPrng) => T): unknown[] {
  return Array.from({ length: p.int(0, 3) }, () => {
    const entry: Record<string, unknown> = {
      [records === 'spans' ? 'scopeSpans' : 'scopeLogs']: Array.from({ length: p.int(0, 3) }, () => {
        const scopeEntry: Record<string, unknown> = { [records]: Array.from({ length: p.int(0, 5) }, () => makeRecord(p)) }
        if (p.chance(0.7)) scopeEntry.scope = { name: p.pick(STRINGS), version: p.pick(STRINGS), attributes: randomAttributes(p) }
        return scopeEntry
      }),
    }
    if (p.chance(0.85)) {
      const attributes = randomAttributes(p)
      if (p.chance(0.8)) attributes.push({ key: 'service.name', value: p.chance(0.9) ? { stringValue: p.pick(['checkout', '', 'ü 😀']) } : { intValue: 7 } })
      entry.resource = { attributes, droppedAttributesCount: p.int(0, 2) }
    }
    return entry
  })
}
