/**
 * The shapes the collector stores and serves: one span, one log record.
 * They are the query API's own types (src/query-api/query-api-types.ts, the
 * JSON of docs/api.md) and what ingest listeners receive after a batch is
 * durably stored, so a listener sees exactly what a reader of the API would see.
 */
import type { LogRecord, Span, SpanEvent, SpanKindName, SpanLink, StatusCodeName } from '../../query-api/query-api-types.js'

export type { AttributeJson, AttributeMap, SpanKindName, StatusCodeName } from '../../query-api/query-api-types.js'
export type StoredSpan = Span
export type StoredSpanEvent = SpanEvent
export type StoredSpanLink = SpanLink
export type StoredLog = LogRecord

/** Indexed by the OTLP enum value. */
export const SPAN_KIND_NAMES: readonly SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
export const STATUS_CODE_NAMES: readonly StatusCodeName[] = ['UNSET', 'OK', 'ERROR']

export const UNKNOWN_SERVICE = 'unknown_service'
