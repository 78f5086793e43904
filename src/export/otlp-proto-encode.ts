/**
 * Spans -> OTLP protobuf `ExportTraceServiceRequest` bytes, written field by
 * field into one buffer (proto-writer.ts): no object per span, attribute or
 * event on the way.
 *
 * `ProtoSpanBatch` is the batch the proxy's main thread writes each finished
 * span into as a `SpanSink` (src/span/span-sink.ts), the moment its exchange
 * ends. Its memory is a SharedArrayBuffer with room reserved in front for the
 * request's envelope (resource and scope, encoded once per exporter; both
 * come from otlp-proto-batch.ts, shared with the log batches), so a sealed
 * batch is a complete request body that an export worker only compresses and
 * POSTs: nothing is packed, copied or encoded again.
 * `TraceProtoEncoder` encodes `SpanRecord`s the same way, for tests and bench.
 *
 * The output decodes with the official definitions (the protobufjs root
 * generated from opentelemetry-proto that otlp-transformer ships):
 * test/export/otlp-proto-encode.test.ts decodes this encoder's bytes and the
 * transformer's and compares them field by field. Mapping rules are the
 * transformer's: span flags = W3C byte | HAS_IS_REMOTE | IS_REMOTE for a
 * (always remote) parent, links always remote, status always written, empty
 * trace state omitted; fields at their proto3 default (0, '') are omitted
 * where the transformer's output decodes the same.
 *
 * Field numbers: opentelemetry/proto/trace/v1.
 */
import type { Attributes, SpanLink, SpanRecord, StatusCodeValue } from '../span/span-record.js'
import type { SpanSink, SpanStart } from '../span/span-sink.js'
import { writeSpanRecord } from '../span/span-sink.js'
import { encodedBatchBytes, OtlpRequestFrame, SharedProtoBatch } from './otlp-proto-batch.js'
import type { RequestFrameOptions } from './otlp-proto-batch.js'
import { writeAttributes, writeHexField, writeKeyValue, writeStringField, writeUnixNanos, writeVarintField } from './proto-writer.js'
import type { ProtoWriter } from './proto-writer.js'
import { TRACE_TAG as TAG } from '../otlp-wire/otlp-field-tags.js'

/** OTLP SpanFlags: bit 8 says "is_remote is known", bit 9 is is_remote. */
const FLAG_HAS_IS_REMOTE = 0x100
const FLAG_IS_REMOTE = 0x200

export type TraceProtoEncoderOptions = RequestFrameOptions

/** Writes spans as `ScopeSpans.spans` entries into a writer. */
export class ProtoSpanSink implements SpanSink {
  /** Where the span being written began (its tag), to drop it if its writer throws. */
  spanAt = -1
  private lengthAt = 0
  private traceFlags = 0
  private hasParent = false

  constructor(public w: ProtoWriter) {}

  begin(start: SpanStart, name: string): void {
    const w = this.w
    this.spanAt = w.pos
    w.byte(TAG.scopeSpansSpan)
    this.lengthAt = w.beginLongMessage()
    w.byte(TAG.spanTraceId)
    w.hexBytes(start.traceId)
    w.byte(TAG.spanSpanId)
    w.hexBytes(start.spanId)
    writeStringField(w, TAG.spanTraceState, start.traceState)
    this.hasParent = start.parentSpanId !== ''
    writeHexField(w, TAG.spanParentSpanId, start.parentSpanId)
    writeStringField(w, TAG.spanName, name)
    writeVarintField(w, TAG.spanKind, start.kind)
    w.byte(TAG.spanStart)
    writeUnixNanos(w, start.startUnixMs)
    w.byte(TAG.spanEnd)
    writeUnixNanos(w, start.endUnixMs)
    this.traceFlags = start.traceFlags
  }

  attribute(key: string, value: unknown): void {
    writeKeyValue(this.w, TAG.spanAttribute, key, value)
  }

  event(name: string, timeUnixMs: number, attributes?: Attributes): void {
    const w = this.w
    w.byte(TAG.spanEvent)
    const at = w.beginMessage()
    w.byte(TAG.eventTime)
    writeUnixNanos(w, timeUnixMs)
    writeStringField(w, TAG.eventName, name)
    if (attributes !== undefined) writeAttributes(w, TAG.eventAttribute, attributes)
    w.endMessage(at)
  }

  link(link: SpanLink): void {
    const w = this.w
    w.byte(TAG.spanLink)
    const at = w.beginMessage()
    w.byte(TAG.linkTraceId)
    w.hexBytes(link.traceId)
    w.byte(TAG.linkSpanId)
    w.hexBytes(link.spanId)
    if (link.traceState !== undefined) writeStringField(w, TAG.linkTraceState, link.traceState)
    if (link.attributes !== undefined) writeAttributes(w, TAG.linkAttribute, link.attributes)
    // A SpanLink carries no flags; links name contexts that came from elsewhere (remote).
    w.byte(TAG.linkFlags)
    w.fixed32(FLAG_HAS_IS_REMOTE | FLAG_IS_REMOTE)
    w.endMessage(at)
  }

  end(statusCode: StatusCodeValue, statusMessage: string): void {
    const w = this.w
    // Status is always present, as the transformer writes it (an empty one means UNSET).
    w.byte(TAG.spanStatus)
    const status = w.beginMessage()
    writeStringField(w, TAG.statusMessage, statusMessage)
    writeVarintField(w, TAG.statusCode, statusCode)
    w.endMessage(status)
    // A parent always reached the proxy over the wire, so it is remote.
    w.varint32(TAG.spanFlags)
    w.fixed32((this.traceFlags & 0xff) | FLAG_HAS_IS_REMOTE | (this.hasParent ? FLAG_IS_REMOTE : 0))
    w.endLongMessage(this.lengthAt)
    this.spanAt = -1
  }

  /** Drops a span whose writer threw before `end`. */
  discardOpenSpan(): void {
    if (this.spanAt !== -1) this.w.pos = this.spanAt
    this.spanAt = -1
  }
}

/**
 * The batch being filled on the main thread. `sink` takes one span at a time;
 * `seal` writes the envelope in front and returns the request body.
 */
export class ProtoSpanBatch extends SharedProtoBatch {
  readonly sink: ProtoSpanSink

  constructor(frame: OtlpRequestFrame, memory: number | SharedArrayBuffer) {
    super(frame, memory)
    this.sink = new ProtoSpanSink(this.w)
  }
}

/**
 * Encodes `SpanRecord` batches for one resource and scope (tests, bench): the
 * same frame and sink as the proxy's batches, each result a fresh copy.
 */
export class TraceProtoEncoder {
  private readonly frame: OtlpRequestFrame

  constructor(options: TraceProtoEncoderOptions) {
    this.frame = new OtlpRequestFrame(options)
  }

  encode(spans: readonly SpanRecord[]): Uint8Array {
    const batch = new ProtoSpanBatch(this.frame, 64 * 1024)
    for (let i = 0; i < spans.length; i++) {
      writeSpanRecord(spans[i]!, batch.sink)
      batch.count++
    }
    return encodedBatchBytes(batch.seal()).slice()
  }
}
