/**
 * An OTLP/protobuf ExportLogsServiceRequest, read straight from its bytes
 * into the log records to store: the same DecodedBatch<IngestLog> as
 * decodeLogsRequest(ExportLogsServiceRequest.decode(body)) gives, as
 * decode-traces-protobuf.ts does for spans (the test holding the two to each
 * other covers both).
 *
 * Throws ProtoWireError when the body is not such a request, OtlpValueError
 * when a kept record's value nests too deep (either way a 400).
 *
 * Field numbers: opentelemetry/proto/logs/v1.
 */
import type { AttributeMap } from '../model/stored-span.js'
import { ingestLogOf, LOGS_SHAPE, SEVERITY_NAMES } from './decode-logs.js'
import type { DecodeLogsOptions, IngestLog } from './decode-logs.js'
import type { DecodedBatch, OtlpRecordContext, RecordSink } from './otlp-request-walk.js'
import { idHex, nanosOf, skipAnyValue } from './otlp-protobuf-values.js'
import type { OtlpProtobufValues } from './otlp-protobuf-values.js'
import { walkOtlpProtobufRequest } from './otlp-protobuf-walk.js'
import { beyondStorableNanos, bodyText, MAX_UNIX_NANOS, readEnum } from './otlp-values.js'
import { LOG_TAG as TAG } from '../../otlp-wire/otlp-field-tags.js'

/** Throws ProtoWireError (not an ExportLogsServiceRequest) or OtlpValueError (values nested too deep). */
export function decodeLogsRequestProtobuf(body: Buffer, options: DecodeLogsOptions): DecodedBatch<IngestLog> {
  return walkOtlpProtobufRequest<IngestLog>(body, LOGS_SHAPE, (values, end, context, into) => decodeLog(values, end, context, options, into))
}

/** Pushes the log record, or returns why it was rejected (decodeLog in decode-logs.ts, in the same order). */
function decodeLog(
  values: OtlpProtobufValues,
  end: number,
  context: OtlpRecordContext,
  options: DecodeLogsOptions,
  into: RecordSink<IngestLog>,
): string | undefined {
  const r = values.r
  let timeLo = 0
  let timeHi = 0
  let observedLo = 0
  let observedHi = 0
  let flags = 0
  let severityNumber = 0
  let severityText = ''
  let traceIdStart = -1
  let traceIdEnd = 0
  let spanIdStart = -1
  let spanIdEnd = 0
  let bodyStart = -1
  let bodyEnd = 0
  const attributes: AttributeMap = {}
  while (r.pos < end) {
    const tag = r.uint32(end)
    switch (tag) {
      case TAG.time:
        r.fixed64(end)
        timeLo = r.lo
        timeHi = r.hi
        break
      case TAG.observedTime:
        r.fixed64(end)
        observedLo = r.lo
        observedHi = r.hi
        break
      case TAG.severityNumber:
        severityNumber = r.uint32(end) | 0
        break
      case TAG.severityText:
        severityText = r.string(end)
        break
      case TAG.body: {
        // Read after the record's other fields; a later body replaces an earlier one, which is only walked.
        const contentEnd = r.lengthEnd(end)
        if (bodyStart >= 0) r.walkAside(bodyStart, bodyEnd, skipAnyValue)
        bodyStart = r.pos
        bodyEnd = contentEnd
        r.pos = contentEnd
        break
      }
      case TAG.attribute:
        values.keyValueInto(attributes, r.lengthEnd(end), 0)
        break
      case TAG.flags:
        flags = r.fixed32(end)
        break
      case TAG.traceId:
        traceIdEnd = r.lengthEnd(end)
        traceIdStart = r.pos
        r.pos = traceIdEnd
        break
      case TAG.spanId:
        spanIdEnd = r.lengthEnd(end)
        spanIdStart = r.pos
        r.pos = spanIdEnd
        break
      default:
        r.skip(tag, end)
    }
  }
  // Read even when the record is refused below, so that a malformed body is refused whatever the record's ids.
  let body = ''
  if (bodyStart >= 0) {
    r.pos = bodyStart
    body = bodyText(values.anyValue(bodyEnd, 0))
    r.pos = end
  }
  const timeNs = nanosOf(timeLo, timeHi)
  if (timeNs > MAX_UNIX_NANOS) return beyondStorableNanos(`${context.where}.timeUnixNano`, timeNs)
  const observedNs = nanosOf(observedLo, observedHi)
  if (observedNs > MAX_UNIX_NANOS) return beyondStorableNanos(`${context.where}.observedTimeUnixNano`, observedNs)
  const traceId = idHex(r, traceIdStart, traceIdEnd, 16)
  if (traceId === undefined) return `${context.where}: traceId must be 16 bytes (32 hex characters) or empty`
  const spanId = idHex(r, spanIdStart, spanIdEnd, 8)
  if (spanId === undefined) return `${context.where}: spanId must be 8 bytes (16 hex characters) or empty`
  into.push(
    ingestLogOf(
      { timeNs, observedNs, flags, traceId, spanId, body, severityText, severityNumber: readEnum(severityNumber, SEVERITY_NAMES), attributes },
      context,
      options,
    ),
  )
  return undefined
}
