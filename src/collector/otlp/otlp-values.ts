/**
 * OTLP field values -> plain JSON values, for messages parsed from OTLP/JSON
 * (ids as hex strings, 64-bit ints as decimal strings or numbers) or decoded
 * by protobufjs (ids as bytes, 64-bit ints as Long). The receivers read
 * protobuf straight from the wire (otlp-protobuf-values.ts), into the same
 * values as these readers make of protobufjs' messages: the test holding the
 * two decoders to each other keeps the encodings from drifting apart.
 */
import type { AttributeJson, AttributeMap } from '../model/stored-span.js'
import type { LongLike } from './otlp-proto-root.js'

const TWO_32 = 4294967296n
/**
 * The largest time the store can hold: SQLite integers are signed 64-bit, so
 * a fixed64 at or above 2^63 ns (after the year 2262: a bit flip, or
 * "18446744073709551615") cannot be stored and is refused with its record.
 */
export const MAX_UNIX_NANOS = 2n ** 63n - 1n

/** A fixed64/int64 nanosecond value; 0n when absent. Throws OtlpValueError when unreadable or ≥ 2^63. */
export function readNanos(value: unknown, field: string): bigint {
  if (value == null) return 0n
  let nanos: bigint | undefined
  if (typeof value === 'object') {
    const long = value as LongLike
    if (typeof long.low === 'number' && typeof long.high === 'number') nanos = BigInt(long.high >>> 0) * TWO_32 + BigInt(long.low >>> 0)
  } else if (typeof value === 'string' && /^\d{1,20}$/.test(value)) nanos = BigInt(value)
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) nanos = BigInt(value)
  if (nanos === undefined) throw new OtlpValueError(`${field} must be an unsigned 64-bit integer (a decimal string in OTLP/JSON), got ${JSON.stringify(value)}`)
  if (nanos > MAX_UNIX_NANOS) throw new OtlpValueError(beyondStorableNanos(field, nanos))
  return nanos
}

/** Why a time above MAX_UNIX_NANOS is refused. */
export function beyondStorableNanos(field: string, nanos: bigint): string {
  return `${field} is ${nanos} ns, beyond the year 2262; it must be below 2^63 (9223372036854775808)`
}

export class OtlpValueError extends Error {}

/** A time field by its OTLP/JSON (camelCase) and protobufjs (snake_case) names. */
export type TimeField = readonly [camel: string, snake: string]

export interface RecordTimes {
  first: bigint
  second: bigint
  flags: number
}

/**
 * A record's two times (a span's start and end, a log's time and observed
 * time) and its flags, checked before the store binds them: the reason the
 * record is refused when one is unreadable, so that it is refused alone.
 */
export function readRecordTimes(raw: Record<string, unknown>, where: string, first: TimeField, second: TimeField): RecordTimes | string {
  try {
    return {
      first: readNanos(raw[first[0]] ?? raw[first[1]], `${where}.${first[0]}`),
      second: readNanos(raw[second[0]] ?? raw[second[1]], `${where}.${second[0]}`),
      flags: readUint32(raw.flags, `${where}.flags`),
    }
  } catch (err) {
    return (err as Error).message
  }
}

const HEX = /^[0-9a-fA-F]*$/

/**
 * An id field: bytes (protobuf) or hex (OTLP/JSON; base64 accepted too, as
 * protobuf's generic JSON mapping would produce it). Returns the lowercase
 * hex, '' when absent or empty, or undefined when present but malformed.
 */
export function readIdHex(value: unknown, byteLength: number): string | undefined {
  if (value == null) return ''
  if (value instanceof Uint8Array) {
    if (value.length === 0) return ''
    if (value.length !== byteLength) return undefined
    // protobufjs hands out Buffers (views of the request body) under Node: no new view needed.
    return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.length)).toString('hex')
  }
  if (typeof value !== 'string') return undefined
  if (value === '') return ''
  if (value.length === byteLength * 2 && HEX.test(value)) return value.toLowerCase()
  const decoded = Buffer.from(value, 'base64')
  if (decoded.length === byteLength && decoded.toString('base64').replace(/=+$/, '') === value.replace(/=+$/, '')) return decoded.toString('hex')
  return undefined
}

/** The id's bytes for storage: the decoder's own bytes when there are some, else parsed from hex. */
export function idBytes(raw: unknown, hex: string): Buffer {
  if (raw instanceof Uint8Array) return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.length)
  return Buffer.from(hex, 'hex')
}

export function isAllZeroHex(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 48) return false
  return true
}

const MAX_UINT32 = 0xffff_ffff

/** A fixed32 field (flags): 0 when absent. Throws OtlpValueError for anything but a whole number from 0 to 2^32-1. */
export function readUint32(value: unknown, field: string): number {
  if (value == null) return 0
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(n) || n < 0 || n > MAX_UINT32) throw new OtlpValueError(`${field} must be an unsigned 32-bit integer, got ${JSON.stringify(value)}`)
  return n
}

/**
 * An enum: its number, or its name as protobuf's JSON mapping also allows.
 * Anything else (a fraction, a negative or huge number, an unknown name) is 0,
 * the UNSPECIFIED of every OTLP enum.
 */
export function readEnum(value: unknown, names: Record<string, number>): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? (/^\d{1,10}$/.test(value) ? Number(value) : (names[value] ?? 0)) : 0
  return Number.isInteger(n) && n >= 0 && n <= 0x7fff_ffff ? n : 0
}

function readInt64(value: unknown): number | string {
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : value
  }
  if (value != null && typeof value === 'object') {
    const long = value as LongLike
    const n = long.high * 4294967296 + (long.low >>> 0)
    if (Number.isSafeInteger(n)) return n
    // Beyond 2^53 a JSON number would round: keep the exact digits as a string.
    return BigInt.asIntN(64, BigInt(long.high >>> 0) * TWO_32 + BigInt(long.low >>> 0)).toString()
  }
  return 0
}

/**
 * Arrays and key-value lists inside each other, at most this deep. Reading and
 * storing a value recurses once per level, so a value nested thousands deep
 * would overflow the stack; no real attribute comes close.
 */
export const MAX_ANY_VALUE_DEPTH = 32

/** The whole request is refused when one of its values nests deeper than MAX_ANY_VALUE_DEPTH. */
export function tooDeepError(): OtlpValueError {
  return new OtlpValueError(
    `an attribute or body nests arrays and key-value lists more than ${MAX_ANY_VALUE_DEPTH} levels deep; flatten it or send it as a JSON string`,
  )
}

/** OTLP AnyValue -> JSON. int64 beyond 2^53 becomes a decimal string; bytes become base64. Throws OtlpValueError when nested too deep. */
export function readAnyValue(value: unknown, depth = 0): AttributeJson {
  if (value == null || typeof value !== 'object') return null
  const v = value as Record<string, unknown>
  if (v.stringValue != null) return String(v.stringValue)
  if (v.intValue != null) return readInt64(v.intValue)
  if (v.doubleValue != null) {
    const d = v.doubleValue
    // JSON mapping writes NaN/Infinity as strings; JSON cannot hold them as numbers.
    return typeof d === 'number' ? (Number.isFinite(d) ? d : String(d)) : Number.isFinite(Number(d)) ? Number(d) : String(d)
  }
  if (v.boolValue != null) return v.boolValue === true || v.boolValue === 'true'
  if (v.arrayValue != null || v.kvlistValue != null) {
    if (depth >= MAX_ANY_VALUE_DEPTH) throw tooDeepError()
    if (v.arrayValue != null) {
      const values = (v.arrayValue as { values?: unknown[] }).values
      return Array.isArray(values) ? values.map((item) => readAnyValue(item, depth + 1)) : []
    }
    const values = (v.kvlistValue as { values?: unknown[] }).values
    return Array.isArray(values) ? readAttributes(values, depth + 1) : {}
  }
  if (v.bytesValue != null) {
    const b = v.bytesValue
    return b instanceof Uint8Array ? Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64') : String(b)
  }
  return null
}

/** A repeated KeyValue -> {key: value}. Later duplicates win, as in the SDKs. */
export function readAttributes(list: unknown, depth = 0): AttributeMap {
  const out: AttributeMap = {}
  if (!Array.isArray(list)) return out
  for (let i = 0; i < list.length; i++) {
    const kv = list[i] as { key?: unknown; value?: unknown } | null
    if (kv == null || typeof kv.key !== 'string') continue
    out[kv.key] = readAnyValue(kv.value, depth)
  }
  return out
}

/** A log body: strings as they are, anything else as its JSON text. */
export function readBody(value: unknown): string {
  return bodyText(readAnyValue(value))
}

/** A log body's value (as readAnyValue gives it) as the text stored. */
export function bodyText(json: AttributeJson): string {
  if (json === null) return ''
  return typeof json === 'string' ? json : JSON.stringify(json)
}

/** Nanoseconds -> Unix milliseconds as a number (sub-ms fraction kept to the double's precision). */
export function nanosToMs(nanos: bigint): number {
  const wholeMs = nanos / 1_000_000n
  return Number(wholeMs) + Number(nanos - wholeMs * 1_000_000n) / 1e6
}

/** Unix milliseconds (fractions kept to the nanosecond) -> integer nanoseconds, as the stores compare times. */
export function msToNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6))
}
