/**
 * The shapes the collector stores and serves: one span, one log record.
 * They are the JSON the query API returns (docs/api.md) and what ingest
 * listeners receive after a batch is durably stored, so a listener sees
 * exactly what a reader of the API would see.
 */

/** An attribute value as JSON: OTLP AnyValue with the wrapper removed. */
export type AttributeJson = string | number | boolean | null | AttributeJson[] | { [key: string]: AttributeJson }
export type AttributeMap = Record<string, AttributeJson>

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER'
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR'

/** Indexed by the OTLP enum value. */
export const SPAN_KIND_NAMES: readonly SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
export const STATUS_CODE_NAMES: readonly StatusCodeName[] = ['UNSET', 'OK', 'ERROR']

export interface StoredSpanEvent {
  name: string
  timeUnixMs: number
  attributes: AttributeMap
}

export interface StoredSpanLink {
  traceId: string
  spanId: string
  traceState: string
  attributes: AttributeMap
}

export interface StoredSpan {
  traceId: string
  spanId: string
  /** null for a root span. */
  parentSpanId: string | null
  name: string
  kind: SpanKindName
  /** The resource's service.name ('unknown_service' when it has none, as the OpenTelemetry SDKs do). */
  service: string
  startTimeUnixMs: number
  endTimeUnixMs: number
  durationMs: number
  /** Exact nanoseconds as sent, as a decimal string (int64 does not fit a JSON number). */
  startTimeUnixNano: string
  endTimeUnixNano: string
  traceState: string
  status: { code: StatusCodeName; message: string }
  attributes: AttributeMap
  resource: AttributeMap
  scope: { name: string; version: string }
  events: StoredSpanEvent[]
  links: StoredSpanLink[]
}

export interface StoredLog {
  /** The record's time, or its observed time when it has none (OTLP allows 0). */
  timeUnixMs: number
  observedTimeUnixMs: number
  severityText: string
  severityNumber: number
  /** Non-string bodies are stored as their JSON text. */
  body: string
  /** '' when the record is linked to no trace. */
  traceId: string
  spanId: string
  service: string
  attributes: AttributeMap
  resource: AttributeMap
}

export const UNKNOWN_SERVICE = 'unknown_service'
