/**
 * A batch of spans in a compact columnar form for the trip to an export
 * worker: every string of the batch concatenated into one string, every
 * number (and every string's length) in one Float64Array whose buffer is
 * transferred, not copied.
 *
 * Why: a structured clone of a SpanRecord array walks and tags every object
 * and property on both sides (postMessage on the main thread, and again to
 * deserialise in the worker). One string and one transferred buffer clone in
 * two steps whatever the batch holds. bench/span-handoff.bench.js measures
 * both forms on proxy-shaped spans.
 *
 * Layout, per span, in order (S = a string: its length in `numbers`, its
 * characters appended to `text`; N = a number):
 *   S traceId, S spanId, S parentSpanId, S traceState, S name, S statusMessage,
 *   N traceFlags, N kind, N startUnixMs, N endUnixMs, N statusCode,
 *   attributes, N event count, per event (S name, N timeUnixMs, attributes),
 *   N link count, per link (S traceId, S spanId, S traceState, attributes)
 * where attributes are: N count (-1: absent), then per attribute S key, N type
 * and the value: string S, int/double N, bool N (0/1), array N length then
 * per element N type and value. Numbers that are integers are told apart from
 * doubles by the type, so the OTLP intValue/doubleValue choice is kept.
 */
import type { AttributeValue, Attributes, SpanEvent, SpanLink, SpanRecord } from '../span/span-record.js'

export interface PackedSpanBatch {
  count: number
  text: string
  numbers: Float64Array<ArrayBuffer>
}

const enum ValueType {
  String = 0,
  Number = 1,
  True = 2,
  False = 3,
  Array = 4,
  /** Anything else a caller slipped in (null, objects): the encoders see `undefined`. */
  Other = 5,
}

/** Packs on the main thread; an instance can be reused (one batch at a time), its number scratch grows as needed. */
export class SpanBatchPacker {
  private numbers = new Float64Array(16 * 1024)
  private n = 0
  /** Appending builds a rope (no copying); postMessage flattens it once. */
  private text = ''

  private count = 0

  pack(spans: readonly SpanRecord[]): PackedSpanBatch {
    this.begin()
    for (let i = 0; i < spans.length; i++) this.add(spans[i]!)
    return this.finish()
  }

  /** Incremental form of `pack`, so a caller can spread a batch over several event-loop turns. */
  begin(): void {
    this.n = 0
    this.count = 0
    this.text = ''
  }

  add(span: SpanRecord): void {
    this.span(span)
    this.count++
  }

  finish(): PackedSpanBatch {
    const numbers = this.numbers.slice(0, this.n)
    const text = this.text
    this.text = ''
    return { count: this.count, text, numbers }
  }

  private num(value: number): void {
    if (this.n === this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2)
      grown.set(this.numbers)
      this.numbers = grown
    }
    this.numbers[this.n++] = value
  }

  private str(value: string): void {
    this.num(value.length)
    this.text += value
  }

  private span(span: SpanRecord): void {
    this.str(span.traceId)
    this.str(span.spanId)
    this.str(span.parentSpanId)
    this.str(span.traceState)
    this.str(span.name)
    this.str(span.statusMessage)
    this.num(span.traceFlags)
    this.num(span.kind)
    this.num(span.startUnixMs)
    this.num(span.endUnixMs)
    this.num(span.statusCode)
    this.attributes(span.attributes)
    const events = span.events
    this.num(events.length)
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      this.str(event.name)
      this.num(event.timeUnixMs)
      this.attributes(event.attributes)
    }
    const links = span.links
    this.num(links.length)
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!
      this.str(link.traceId)
      this.str(link.spanId)
      this.str(link.traceState ?? '')
      this.attributes(link.attributes)
    }
  }

  private attributes(attributes: Attributes | undefined): void {
    if (attributes === undefined) {
      this.num(-1)
      return
    }
    const keys = Object.keys(attributes)
    this.num(keys.length)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      this.str(key)
      this.value(attributes[key])
    }
  }

  private value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.num(ValueType.String)
        this.str(value)
        return
      case 'number':
        this.num(ValueType.Number)
        this.num(value)
        return
      case 'boolean':
        this.num(value ? ValueType.True : ValueType.False)
        return
      default:
        if (Array.isArray(value)) {
          this.num(ValueType.Array)
          this.num(value.length)
          for (let i = 0; i < value.length; i++) this.value(value[i])
          return
        }
        this.num(ValueType.Other)
    }
  }
}

/** Rebuilds the SpanRecords in a worker. */
export function unpackSpanBatch(packed: PackedSpanBatch): SpanRecord[] {
  const { text, numbers } = packed
  let n = 0
  let t = 0
  const str = (): string => {
    const length = numbers[n++]!
    if (length === 0) return ''
    const value = text.slice(t, t + length)
    t += length
    return value
  }
  const value = (): unknown => {
    const type = numbers[n++]! as ValueType
    switch (type) {
      case ValueType.String:
        return str()
      case ValueType.Number:
        return numbers[n++]!
      case ValueType.True:
        return true
      case ValueType.False:
        return false
      case ValueType.Array: {
        const length = numbers[n++]!
        const items: unknown[] = new Array(length)
        for (let i = 0; i < length; i++) items[i] = value()
        return items
      }
      default:
        return undefined
    }
  }
  const attributes = (): Attributes | undefined => {
    const count = numbers[n++]!
    if (count < 0) return undefined
    const out: Attributes = {}
    for (let i = 0; i < count; i++) {
      const key = str()
      out[key] = value() as AttributeValue
    }
    return out
  }
  const spans = new Array<SpanRecord>(packed.count)
  for (let s = 0; s < packed.count; s++) {
    const traceId = str()
    const spanId = str()
    const parentSpanId = str()
    const traceState = str()
    const name = str()
    const statusMessage = str()
    const traceFlags = numbers[n++]!
    const kind = numbers[n++]! as SpanRecord['kind']
    const startUnixMs = numbers[n++]!
    const endUnixMs = numbers[n++]!
    const statusCode = numbers[n++]! as SpanRecord['statusCode']
    const spanAttributes = attributes() ?? {}
    const eventCount = numbers[n++]!
    const events = new Array<SpanEvent>(eventCount)
    for (let i = 0; i < eventCount; i++) {
      const eventName = str()
      const timeUnixMs = numbers[n++]!
      const eventAttributes = attributes()
      events[i] = eventAttributes === undefined ? { name: eventName, timeUnixMs } : { name: eventName, timeUnixMs, attributes: eventAttributes }
    }
    const linkCount = numbers[n++]!
    const links = new Array<SpanLink>(linkCount)
    for (let i = 0; i < linkCount; i++) {
      const link: SpanLink = { traceId: str(), spanId: str() }
      const linkTraceState = str()
      if (linkTraceState !== '') link.traceState = linkTraceState
      const linkAttributes = attributes()
      if (linkAttributes !== undefined) link.attributes = linkAttributes
      links[i] = link
    }
    spans[s] = {
      traceId,
      spanId,
      parentSpanId,
      traceFlags,
      traceState,
      name,
      kind,
      startUnixMs,
      endUnixMs,
      statusCode,
      statusMessage,
      attributes: spanAttributes,
      events,
      links,
    }
  }
  return spans
}
