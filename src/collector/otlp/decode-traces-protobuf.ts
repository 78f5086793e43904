/**
 * An OTLP/protobuf ExportTraceServiceRequest, read straight from its bytes
 * into the spans to store: the same DecodedBatch<IngestSpan> as
 * decodeTraceRequest(ExportTraceServiceRequest.decode(body)) gives (same
 * values, rejections and reasons; ids are views of the body), reading the
 * bytes once, without protobufjs' object per message, Long per time or Buffer
 * per id. test/collector/decodes-protobuf-traces-as-protobufjs-did.test.ts
 * holds the two to each other.
 *
 * Throws ProtoWireError when the body is not such a request, OtlpValueError
 * when a kept span's value nests too deep (either way a 400).
 *
 * Field numbers: opentelemetry/proto/trace/v1.
 */
import type { AttributeMap, StoredSpanEvent, StoredSpanLink } from '../model/stored-span.js'
import { ingestSpanOf, TRACE_SHAPE } from './decode-traces.js'
import type { DecodedBatch, IngestSpan } from './decode-traces.js'
import type { OtlpRecordContext, RecordSink, Rejections } from './otlp-request-walk.js'
import { idHex, nanosOf } from './otlp-protobuf-values.js'
import type { OtlpProtobufValues } from './otlp-protobuf-values.js'
import { walkOtlpProtobufRequest, walkOtlpProtobufRequestInto } from './otlp-protobuf-walk.js'
import { SpanWireFields } from './span-wire-fields.js'
import type { SpanWireParts } from './span-wire-fields.js'
import { beyondStorableNanos, isAllZeroHex, MAX_UNIX_NANOS, nanosToMs } from './otlp-values.js'
import { TRACE_TAG as TAG } from '../../otlp-wire/otlp-field-tags.js'

/** Throws ProtoWireError (not an ExportTraceServiceRequest) or OtlpValueError (values nested too deep). */
export function decodeTraceRequestProtobuf(body: Buffer): DecodedBatch<IngestSpan> {
  return walkOtlpProtobufRequest(body, TRACE_SHAPE, decodeSpanProtobuf)
}

/**
 * The same spans, each handed to `into` as soon as it is read, so that a writer can take it and let
 * it go before the next: none of a big request's spans outlives its own turn. Throws as above; the
 * spans `into` had by then are part of a request refused whole.
 */
export function decodeTraceRequestProtobufInto(body: Buffer, into: RecordSink<IngestSpan>): Rejections {
  return walkOtlpProtobufRequestInto(body, TRACE_SHAPE, decodeSpanProtobuf, into)
}

/** The span being decoded (decodeSpanProtobuf does not nest, so one of each serves every request). */
const fields = new SpanWireFields()
class DecodedSpanParts implements SpanWireParts {
  values!: OtlpProtobufValues
  attributes: AttributeMap = {}
  events: StoredSpanEvent[] = []
  links: StoredSpanLink[] = []

  attribute(end: number): boolean {
    this.values.keyValueInto(this.attributes, end, 0)
    return true
  }

  event(end: number): boolean {
    this.events.push(readEvent(this.values, end))
    return true
  }

  link(end: number): boolean {
    const link = readLink(this.values, end)
    if (link !== undefined) this.links.push(link)
    return true
  }
}
const parts = new DecodedSpanParts()

/** Pushes the span, or returns why it was rejected (decodeSpan in decode-traces.ts, in the same order). */
export function decodeSpanProtobuf(values: OtlpProtobufValues, end: number, context: OtlpRecordContext, into: RecordSink<IngestSpan>): string | undefined {
  const r = values.r
  const buf = r.buf
  parts.values = values
  const attributes: AttributeMap = (parts.attributes = {})
  const events: StoredSpanEvent[] = (parts.events = [])
  const links: StoredSpanLink[] = (parts.links = [])
  fields.read(r, end, parts)
  const { traceIdStart, traceIdEnd, spanIdStart, spanIdEnd, parentStart, parentEnd } = fields
  const traceId = idHex(r, traceIdStart, traceIdEnd, 16)
  if (traceId === undefined || traceId === '' || isAllZeroHex(traceId)) return `${context.where}: traceId must be 16 bytes (32 hex characters), not all zero`
  const spanId = idHex(r, spanIdStart, spanIdEnd, 8)
  if (spanId === undefined || spanId === '' || isAllZeroHex(spanId)) return `${context.where}: spanId must be 8 bytes (16 hex characters), not all zero`
  const parent = idHex(r, parentStart, parentEnd, 8)
  if (parent === undefined) return `${context.where}: parentSpanId must be 8 bytes (16 hex characters) or empty`
  const startNs = nanosOf(fields.startLo, fields.startHi)
  if (startNs > MAX_UNIX_NANOS) return beyondStorableNanos(`${context.where}.startTimeUnixNano`, startNs)
  const endNs = nanosOf(fields.endLo, fields.endHi)
  if (endNs > MAX_UNIX_NANOS) return beyondStorableNanos(`${context.where}.endTimeUnixNano`, endNs)
  into.push(
    ingestSpanOf(
      {
        traceId,
        spanId,
        parentSpanId: parent,
        traceIdBytes: buf.subarray(traceIdStart, traceIdEnd),
        spanIdBytes: buf.subarray(spanIdStart, spanIdEnd),
        parentSpanIdBytes: parent === '' ? null : buf.subarray(parentStart, parentEnd),
        name: fields.nameStart < 0 ? '' : values.nameText(fields.nameStart, fields.nameEnd),
        traceState: fields.traceState,
        kind: fields.kind,
        statusCode: fields.statusCode,
        statusMessage: fields.statusMessage,
        startNs,
        endNs,
        flags: fields.flags,
        attributes,
        events,
        links,
      },
      context,
    ),
  )
  return undefined
}

function readEvent(values: OtlpProtobufValues, end: number): StoredSpanEvent {
  const r = values.r
  let timeLo = 0
  let timeHi = 0
  let name = ''
  const attributes: AttributeMap = {}
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === TAG.eventTime) {
      r.fixed64(end)
      timeLo = r.lo
      timeHi = r.hi
    } else if (tag === TAG.eventName) name = values.name(end)
    else if (tag === TAG.eventAttribute) values.keyValueInto(attributes, r.lengthEnd(end), 0)
    else r.skip(tag, end)
  }
  // An event time the store cannot hold does not cost the span: the event keeps time 0.
  const timeNs = nanosOf(timeLo, timeHi)
  return { name, timeUnixMs: nanosToMs(timeNs > MAX_UNIX_NANOS ? 0n : timeNs), attributes }
}

/** A link, or undefined when its ids are missing or malformed (it is then dropped, and its values were never read). */
function readLink(values: OtlpProtobufValues, end: number): StoredSpanLink | undefined {
  const r = values.r
  let traceIdStart = -1
  let traceIdEnd = 0
  let spanIdStart = -1
  let spanIdEnd = 0
  let traceState = ''
  const attributes: AttributeMap = {}
  const tooDeepBefore = values.tooDeep
  values.tooDeep = false
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === TAG.linkTraceId) {
      traceIdEnd = r.lengthEnd(end)
      traceIdStart = r.pos
      r.pos = traceIdEnd
    } else if (tag === TAG.linkSpanId) {
      spanIdEnd = r.lengthEnd(end)
      spanIdStart = r.pos
      r.pos = spanIdEnd
    } else if (tag === TAG.linkTraceState) traceState = r.string(end)
    else if (tag === TAG.linkAttribute) values.keyValueInto(attributes, r.lengthEnd(end), 0)
    else r.skip(tag, end)
  }
  const traceId = idHex(r, traceIdStart, traceIdEnd, 16)
  const spanId = idHex(r, spanIdStart, spanIdEnd, 8)
  if (traceId === undefined || spanId === undefined || traceId === '' || spanId === '') {
    values.tooDeep = tooDeepBefore
    return undefined
  }
  values.tooDeep ||= tooDeepBefore
  return { traceId, spanId, traceState, attributes }
}
