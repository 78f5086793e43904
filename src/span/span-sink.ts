/**
 * A span written field by field, in OTLP's field order, instead of built as
 * an object graph.
 *
 * Why: the proxy finishes a span per request, and the OTLP exporter encodes
 * it straight into its protobuf batch buffer. Building a `SpanRecord` first
 * (an attributes object, an events array, event objects) and walking it again
 * to encode cost more main-thread time and garbage than the encoding itself.
 * The proxy's span builder speaks to a `SpanSink`; the OTLP exporter's sink
 * writes bytes, `SpanRecordSink` builds a `SpanRecord` for everything that
 * wants objects (tests, the console exporter, OTLP/JSON).
 *
 * The order of calls is fixed: `begin`, then `attribute`s, then `event`s,
 * then `link`s, then `end`. A writer that throws leaves the sink to discard
 * the half-written span (see `SpanExporter.write`).
 */
import type { AttributeValue, Attributes, SpanKindValue, SpanLink, SpanRecord, StatusCodeValue } from './span-record.js'

/** What a span starts with besides its name (an Exchange and a SpanRecord both have these fields, so neither is copied). */
export interface SpanStart {
  traceId: string
  spanId: string
  /** '' for a root span. */
  parentSpanId: string
  traceFlags: number
  traceState: string
  kind: SpanKindValue
  startUnixMs: number
  endUnixMs: number
}

export interface SpanSink {
  begin(start: SpanStart, name: string): void
  attribute(key: string, value: AttributeValue): void
  event(name: string, timeUnixMs: number, attributes?: Attributes): void
  link(link: SpanLink): void
  end(statusCode: StatusCodeValue, statusMessage: string): void
}

/** Writes one span from `source` into `sink`; a plain function, so no closure per span. */
export type SpanWriter<S> = (source: S, sink: SpanSink) => void

/** A `SpanRecord` as a writer: records pass through any exporter the same way. */
export const writeSpanRecord: SpanWriter<SpanRecord> = (span, sink) => {
  sink.begin(span, span.name)
  const attributes = span.attributes
  for (const key in attributes) sink.attribute(key, attributes[key]!)
  for (const event of span.events) sink.event(event.name, event.timeUnixMs, event.attributes)
  for (const link of span.links) sink.link(link)
  sink.end(span.statusCode, span.statusMessage)
}

/** Builds the `SpanRecord` a writer describes. */
export class SpanRecordSink implements SpanSink {
  private record: SpanRecord | undefined

  begin(start: SpanStart, name: string): void {
    this.record = {
      traceId: start.traceId,
      spanId: start.spanId,
      parentSpanId: start.parentSpanId,
      traceFlags: start.traceFlags,
      traceState: start.traceState,
      name,
      kind: start.kind,
      startUnixMs: start.startUnixMs,
      endUnixMs: start.endUnixMs,
      statusCode: 0,
      statusMessage: '',
      attributes: {},
      events: [],
      links: [],
    }
  }

  attribute(key: string, value: AttributeValue): void {
    this.record!.attributes[key] = value
  }

  event(name: string, timeUnixMs: number, attributes?: Attributes): void {
    this.record!.events.push(attributes === undefined ? { name, timeUnixMs } : { name, timeUnixMs, attributes })
  }

  link(link: SpanLink): void {
    this.record!.links.push(link)
  }

  end(statusCode: StatusCodeValue, statusMessage: string): void {
    this.record!.statusCode = statusCode
    this.record!.statusMessage = statusMessage
  }

  /** The record written since the last `begin`. */
  take(): SpanRecord {
    const record = this.record
    if (record === undefined) throw new Error('SpanRecordSink: no span was written')
    this.record = undefined
    return record
  }
}

/** The `SpanRecord` that `write` describes for `source`. */
export function spanRecordOf<S>(source: S, write: SpanWriter<S>): SpanRecord {
  const sink = new SpanRecordSink()
  write(source, sink)
  return sink.take()
}
