/**
 * OTLP's common messages (KeyValue, AnyValue, InstrumentationScope, Resource)
 * read straight from protobuf bytes into the JSON values otlp-values.ts
 * makes of the same messages decoded by protobufjs: the same value for every
 * input protobufjs decodes, without a message object, Long or Buffer on the way.
 *
 * What protobufjs does and these readers therefore do too: a field repeated
 * in the wire keeps its last value, a message field included (the later one
 * replaces the earlier, not merged into it); an AnyValue with several of its
 * oneof members set is read as readAnyValue reads it (string, int, double,
 * bool, array, kvlist, bytes: the first of those present wins); a KeyValue
 * without a key is left out. A field whose wire type is not its schema's is
 * skipped as an unknown field (as protoc's parsers do; protobufjs would
 * misread it). Parts that are not read (an AnyValue's losing members, scope
 * attributes, a value a refused record carries) are still walked, so that
 * a malformed body is refused whichever part is malformed.
 *
 * Field numbers: opentelemetry/proto/common/v1 and resource/v1.
 */
import type { AttributeJson, AttributeMap } from '../model/stored-span.js'
import { KeyTextCache } from './key-text-cache.js'
import { MAX_ANY_VALUE_DEPTH } from './otlp-values.js'
import type { ProtoWireReader } from './proto-wire-reader.js'
import { COMMON_TAG as TAG } from '../../otlp-wire/otlp-field-tags.js'

const TWO_32 = 4294967296n

/** An int64 as readAnyValue gives it: a number when exact, else its decimal digits. */
function int64Json(lo: number, hi: number): number | string {
  const n = (hi | 0) * 4294967296 + lo
  if (Number.isSafeInteger(n)) return n
  return BigInt.asIntN(64, BigInt(hi) * TWO_32 + BigInt(lo)).toString()
}

/** A fixed64 time read as `lo` and `hi` halves. */
export function nanosOf(lo: number, hi: number): bigint {
  return hi === 0 ? BigInt(lo) : BigInt(hi) * TWO_32 + BigInt(lo)
}

/** An id (bytes `start` to `end`, start -1 when absent) as readIdHex reads one: '' when absent or empty, undefined when not `length` bytes. */
export function idHex(r: ProtoWireReader, start: number, end: number, length: number): string | undefined {
  if (start < 0 || start === end) return ''
  return end - start === length ? r.hex(start, end) : undefined
}

/**
 * The value readers over one request's bytes. `tooDeep` is set (instead of
 * throwing) when a value nests deeper than MAX_ANY_VALUE_DEPTH: the walk over
 * decoded messages reads a record's values only once the record is accepted,
 * so the record decoders say whether it fails the request (tooDeepError) or
 * not.
 */
export class OtlpProtobufValues {
  tooDeep = false
  private readonly keys: KeyTextCache
  /** Span and event names: a request repeats a few operation names, as it repeats attribute keys. */
  private readonly names: KeyTextCache

  constructor(readonly r: ProtoWireReader) {
    this.keys = new KeyTextCache(r)
    this.names = new KeyTextCache(r)
  }

  /** A name field (string) ending by `end`, as ProtoWireReader.string reads it, the same string for the same bytes. */
  name(end: number): string {
    const r = this.r
    const contentEnd = r.lengthEnd(end)
    const text = this.names.text(r.pos, contentEnd)
    r.pos = contentEnd
    return text
  }

  /** Bytes `start` to `end` as a name's text, the same string for the same bytes (as `name`). */
  nameText(start: number, end: number): string {
    return this.names.text(start, end)
  }

  /** Bytes `start` to `end` as an attribute key's text, the same string for the same bytes (as keyValueInto's keys). */
  keyText(start: number, end: number): string {
    return this.keys.text(start, end)
  }

  /** One KeyValue whose content ends at `end` into `out` (later duplicate keys win); the reader ends at `end`. */
  keyValueInto(out: AttributeMap, end: number, depth: number): void {
    const r = this.r
    let keyStart = -1
    let keyEnd = 0
    let valueStart = -1
    let valueEnd = 0
    while (r.pos < end) {
      const tag = r.uint32(end)
      if (tag === TAG.keyValueKey) {
        keyEnd = r.lengthEnd(end)
        keyStart = r.pos
        r.pos = keyEnd
      } else if (tag === TAG.keyValueValue) {
        const contentEnd = r.lengthEnd(end)
        if (valueStart >= 0) this.skipAt(valueStart, valueEnd, ANY_VALUE)
        valueStart = r.pos
        valueEnd = contentEnd
        r.pos = contentEnd
      } else r.skip(tag, end)
    }
    if (keyStart < 0) {
      if (valueStart >= 0) this.skipAt(valueStart, valueEnd, ANY_VALUE)
      r.pos = end
      return
    }
    const key = this.keys.text(keyStart, keyEnd)
    let value: AttributeJson = null
    if (valueStart >= 0) {
      r.pos = valueStart
      value = this.anyValue(valueEnd, depth)
    }
    out[key] = value
    r.pos = end
  }

  /** An AnyValue whose content ends at `end`, as JSON (null when it holds nothing); the reader ends at `end`. */
  anyValue(end: number, depth: number): AttributeJson {
    const r = this.r
    let stringStart = -1
    let stringEnd = 0
    let hasInt = false
    let intLo = 0
    let intHi = 0
    let hasDouble = false
    let double = 0
    let hasBool = false
    let bool = false
    let arrayStart = -1
    let arrayEnd = 0
    let kvListStart = -1
    let kvListEnd = 0
    let bytesStart = -1
    let bytesEnd = 0
    while (r.pos < end) {
      const tag = r.uint32(end)
      switch (tag) {
        case TAG.anyString:
          stringEnd = r.lengthEnd(end)
          stringStart = r.pos
          r.pos = stringEnd
          break
        case TAG.anyBool:
          bool = r.uint32(end) !== 0
          hasBool = true
          break
        case TAG.anyInt:
          r.varint64(end)
          intLo = r.lo
          intHi = r.hi
          hasInt = true
          break
        case TAG.anyDouble:
          double = r.double(end)
          hasDouble = true
          break
        case TAG.anyArray: {
          const contentEnd = r.lengthEnd(end)
          if (arrayStart >= 0) this.skipAt(arrayStart, arrayEnd, ARRAY_VALUE)
          arrayStart = r.pos
          arrayEnd = contentEnd
          r.pos = contentEnd
          break
        }
        case TAG.anyKvList: {
          const contentEnd = r.lengthEnd(end)
          if (kvListStart >= 0) this.skipAt(kvListStart, kvListEnd, KEY_VALUE_LIST)
          kvListStart = r.pos
          kvListEnd = contentEnd
          r.pos = contentEnd
          break
        }
        case TAG.anyBytes:
          bytesEnd = r.lengthEnd(end)
          bytesStart = r.pos
          r.pos = bytesEnd
          break
        default:
          r.skip(tag, end)
      }
    }
    const nested = arrayStart >= 0 || kvListStart >= 0
    let value: AttributeJson
    if (stringStart >= 0) value = r.utf8(stringStart, stringEnd)
    else if (hasInt) value = int64Json(intLo, intHi)
    // JSON cannot hold NaN or Infinity: they are kept as text, as readAnyValue does.
    else if (hasDouble) value = Number.isFinite(double) ? double : String(double)
    else if (hasBool) value = bool
    else if (nested && depth >= MAX_ANY_VALUE_DEPTH) {
      this.tooDeep = true
      value = null
    } else if (arrayStart >= 0) {
      r.pos = arrayStart
      value = this.arrayValue(arrayEnd, depth + 1)
      arrayStart = -1
    } else if (kvListStart >= 0) {
      r.pos = kvListStart
      value = this.keyValueList(kvListEnd, depth + 1)
      kvListStart = -1
    } else value = bytesStart >= 0 ? r.base64(bytesStart, bytesEnd) : null
    // Nested members not read are still walked: protobufjs decoded them.
    if (nested) {
      if (arrayStart >= 0) this.skipAt(arrayStart, arrayEnd, ARRAY_VALUE)
      if (kvListStart >= 0) this.skipAt(kvListStart, kvListEnd, KEY_VALUE_LIST)
    }
    r.pos = end
    return value
  }

  private arrayValue(end: number, depth: number): AttributeJson[] {
    const r = this.r
    const out: AttributeJson[] = []
    while (r.pos < end) {
      const tag = r.uint32(end)
      if (tag === TAG.arrayValues) out.push(this.anyValue(r.lengthEnd(end), depth))
      else r.skip(tag, end)
    }
    return out
  }

  private keyValueList(end: number, depth: number): AttributeMap {
    const r = this.r
    const out: AttributeMap = {}
    while (r.pos < end) {
      const tag = r.uint32(end)
      if (tag === TAG.kvListValues) this.keyValueInto(out, r.lengthEnd(end), depth)
      else r.skip(tag, end)
    }
    return out
  }

  /** A Resource's attributes (its entity refs and other fields are walked, not kept). */
  resourceAttributes(end: number): AttributeMap {
    const r = this.r
    const out: AttributeMap = {}
    while (r.pos < end) {
      const tag = r.uint32(end)
      if (tag === TAG.resourceAttribute) this.keyValueInto(out, r.lengthEnd(end), 0)
      else if (tag === TAG.resourceEntityRef) r.skipMessage(r.lengthEnd(end))
      else r.skip(tag, end)
    }
    return out
  }

  /** An InstrumentationScope's name and version ('' when absent); its attributes are walked, not kept. */
  scope(end: number): { name: string; version: string } {
    const r = this.r
    let name = ''
    let version = ''
    while (r.pos < end) {
      const tag = r.uint32(end)
      if (tag === TAG.scopeName) name = r.string(end)
      else if (tag === TAG.scopeVersion) version = r.string(end)
      else if (tag === TAG.scopeAttribute) skipKeyValue(r, r.lengthEnd(end))
      else r.skip(tag, end)
    }
    return { name, version }
  }

  /** Walks the value from `start` to `end` without decoding it; the reader's position is kept. */
  private skipAt(start: number, end: number, type: number): void {
    this.r.walkAside(start, end, (r, valueEnd) => skipValue(r, valueEnd, type))
  }
}

/** The messages a value is made of, for skipValue. */
const ANY_VALUE = 0
const ARRAY_VALUE = 1
const KEY_VALUE_LIST = 2
const KEY_VALUE = 3

/** The message type a field holds, when it is one skipValue goes into; -1 for any other field. */
function nestedType(type: number, tag: number): number {
  switch (type) {
    case ANY_VALUE:
      return tag === TAG.anyArray ? ARRAY_VALUE : tag === TAG.anyKvList ? KEY_VALUE_LIST : -1
    case ARRAY_VALUE:
      return tag === TAG.arrayValues ? ANY_VALUE : -1
    case KEY_VALUE_LIST:
      return tag === TAG.kvListValues ? KEY_VALUE : -1
    default:
      return tag === TAG.keyValueValue ? ANY_VALUE : -1
  }
}

/**
 * Walks a value (an AnyValue, KeyValue or the lists inside them) that is not
 * read, checking its structure as decoding it would. With a stack of its own
 * rather than recursion: a value nested thousands deep (which protobufjs
 * decoded, and the old walk then refused past MAX_ANY_VALUE_DEPTH, or never
 * read) is walked to its end, not refused for the depth.
 */
function skipValue(r: ProtoWireReader, end: number, type: number): void {
  const ends = [end]
  const types = [type]
  for (let top = 0; top >= 0;) {
    const messageEnd = ends[top]!
    if (r.pos >= messageEnd) {
      ends.pop()
      types.pop()
      top--
      continue
    }
    const tag = r.uint32(messageEnd)
    const nested = nestedType(types[top]!, tag)
    if (nested < 0) r.skip(tag, messageEnd)
    else {
      ends.push(r.lengthEnd(messageEnd))
      types.push(nested)
      top++
    }
  }
}

export function skipAnyValue(r: ProtoWireReader, end: number): void {
  skipValue(r, end, ANY_VALUE)
}

function skipKeyValue(r: ProtoWireReader, end: number): void {
  skipValue(r, end, KEY_VALUE)
}

/** A Resource walked without decoding (one that a later one in the same entry replaces). */
export function skipResource(r: ProtoWireReader, end: number): void {
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === TAG.resourceAttribute) skipKeyValue(r, r.lengthEnd(end))
    else if (tag === TAG.resourceEntityRef) r.skipMessage(r.lengthEnd(end))
    else r.skip(tag, end)
  }
}

/** An InstrumentationScope walked without decoding. */
export function skipScope(r: ProtoWireReader, end: number): void {
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === TAG.scopeAttribute) skipKeyValue(r, r.lengthEnd(end))
    else r.skip(tag, end)
  }
}
