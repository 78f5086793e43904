/**
 * OTLP's protobuf field tags, (field number << 3) | wire type, in one place
 * for both ends of the wire: the sidecar's encoder writes them
 * (src/export/), the collector's decoder reads them (src/collector/otlp/).
 * Each is the tag's value as one varint: below 128 that is also its one
 * byte on the wire; Span.flags (field 16) takes two bytes, 0x85 0x01.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
 * Field numbers: opentelemetry-proto's common/v1, resource/v1, trace/v1 and
 * logs/v1 messages.
 */

/** KeyValue, AnyValue, ArrayValue, KeyValueList, InstrumentationScope, Resource. */
export const COMMON_TAG = {
  keyValueKey: 0x0a, // KeyValue.key = 1
  keyValueValue: 0x12, // KeyValue.value = 2
  anyString: 0x0a, // AnyValue.string_value = 1
  anyBool: 0x10, // AnyValue.bool_value = 2
  anyInt: 0x18, // AnyValue.int_value = 3
  anyDouble: 0x21, // AnyValue.double_value = 4 (fixed64)
  anyArray: 0x2a, // AnyValue.array_value = 5
  anyKvList: 0x32, // AnyValue.kvlist_value = 6
  anyBytes: 0x3a, // AnyValue.bytes_value = 7
  arrayValues: 0x0a, // ArrayValue.values = 1
  kvListValues: 0x0a, // KeyValueList.values = 1
  scopeName: 0x0a, // InstrumentationScope.name = 1
  scopeVersion: 0x12, // InstrumentationScope.version = 2
  scopeAttribute: 0x1a, // InstrumentationScope.attributes = 3
  resourceAttribute: 0x0a, // Resource.attributes = 1
  resourceEntityRef: 0x1a, // Resource.entity_refs = 3 (EntityRef: strings only)
} as const

/** ScopeSpans' spans, Span, Span.Event, Span.Link, Status. */
export const TRACE_TAG = {
  scopeSpansSpan: 0x12, // ScopeSpans.spans = 2
  spanTraceId: 0x0a, // Span.trace_id = 1
  spanSpanId: 0x12, // Span.span_id = 2
  spanTraceState: 0x1a, // Span.trace_state = 3
  spanParentSpanId: 0x22, // Span.parent_span_id = 4
  spanName: 0x2a, // Span.name = 5
  spanKind: 0x30, // Span.kind = 6 (int32)
  spanStart: 0x39, // Span.start_time_unix_nano = 7 (fixed64)
  spanEnd: 0x41, // Span.end_time_unix_nano = 8 (fixed64)
  spanAttribute: 0x4a, // Span.attributes = 9
  spanEvent: 0x5a, // Span.events = 11
  spanLink: 0x6a, // Span.links = 13
  spanStatus: 0x7a, // Span.status = 15
  spanFlags: 0x85, // Span.flags = 16 (fixed32): 133, two bytes on the wire (0x85 0x01)
  eventTime: 0x09, // Span.Event.time_unix_nano = 1 (fixed64)
  eventName: 0x12, // Span.Event.name = 2
  eventAttribute: 0x1a, // Span.Event.attributes = 3
  linkTraceId: 0x0a, // Span.Link.trace_id = 1
  linkSpanId: 0x12, // Span.Link.span_id = 2
  linkTraceState: 0x1a, // Span.Link.trace_state = 3
  linkAttribute: 0x22, // Span.Link.attributes = 4
  linkFlags: 0x35, // Span.Link.flags = 6 (fixed32)
  statusMessage: 0x12, // Status.message = 2
  statusCode: 0x18, // Status.code = 3 (int32)
} as const

/** ScopeLogs' log records, LogRecord. */
export const LOG_TAG = {
  scopeLogsLogRecord: 0x12, // ScopeLogs.log_records = 2
  time: 0x09, // LogRecord.time_unix_nano = 1 (fixed64)
  severityNumber: 0x10, // LogRecord.severity_number = 2 (int32 enum)
  severityText: 0x1a, // LogRecord.severity_text = 3
  body: 0x2a, // LogRecord.body = 5 (AnyValue)
  attribute: 0x32, // LogRecord.attributes = 6
  flags: 0x45, // LogRecord.flags = 8 (fixed32)
  traceId: 0x4a, // LogRecord.trace_id = 9
  spanId: 0x52, // LogRecord.span_id = 10
  observedTime: 0x59, // LogRecord.observed_time_unix_nano = 11 (fixed64)
} as const
