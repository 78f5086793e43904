/**
 * The collector's query API as JSON on :16686: one set of types for the
 * collector that serves it, the UI that reads it and `tracecar load` that
 * explains its tail with it. Types only, no code and no imports, so the UI
 * bundle and Node import it alike. Documented in docs/api.md (the query API)
 * and docs/logs-metrics-alerts.md (metrics and alerts); a test checks the
 * documented routes and fields against these names.
 */

// ---- Values inside spans and logs ----

/** An attribute value as JSON: OTLP AnyValue with the wrapper removed (int64 past 2^53 as a decimal string, bytes as base64). */
export type AttributeJson = string | number | boolean | null | AttributeJson[] | { [key: string]: AttributeJson }
export type AttributeMap = Record<string, AttributeJson>

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER'
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR'

// ---- Traces ----

export interface SpanEvent {
  name: string
  timeUnixMs: number
  attributes: AttributeMap
}

export interface SpanLink {
  traceId: string
  spanId: string
  traceState: string
  attributes: AttributeMap
}

/** One span, as stored and as `/api/traces/:traceId` returns it. */
export interface Span {
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
  events: SpanEvent[]
  links: SpanLink[]
}

/** A trace in search results. */
export interface TraceSummary {
  traceId: string
  rootService: string
  rootOperation: string
  startTimeUnixMs: number
  durationMs: number
  spanCount: number
  errorCount: number
  services: string[]
}

/** A span of another trace whose link names this trace (OTLP span links: batches, fan-in, follow-ups). */
export interface IncomingLink {
  /** the linking span's trace and span */
  traceId: string
  spanId: string
  service: string
  name: string
  startTimeUnixMs: number
  /** the span of the linked trace the link names */
  linkedSpanId: string
  traceState: string
  attributes: AttributeMap
}

// ---- Logs ----

/** One log record, as stored and as the log routes return it. */
export interface LogRecord {
  /** The record's time, or its observed time when it has none (OTLP allows 0). */
  timeUnixMs: number
  observedTimeUnixMs: number
  severityText: string
  severityNumber: number
  /** Non-string bodies are their JSON text. */
  body: string
  /** '' when the record is linked to no trace. */
  traceId: string
  spanId: string
  service: string
  attributes: AttributeMap
  resource: AttributeMap
}

// ---- Services ----

export interface Operation {
  name: string
  spanKind: SpanKindName
}

export interface DependencyEdge {
  parent: string
  child: string
  callCount: number
  errorCount: number
}

// ---- The answers, route by route (docs/api.md, "Query API") ----

/** `GET /api/services` */
export interface ServicesResponse {
  services: string[]
}

/** `GET /api/services/:service/operations` */
export interface OperationsResponse {
  operations: Operation[]
}

/** `GET /api/traces` */
export interface TraceSearchResponse {
  traces: TraceSummary[]
  /** present (true) when the search stopped at its time budget */
  incomplete?: boolean
}

/** `GET /api/traces/:traceId` */
export interface TraceResponse {
  traceId: string
  spans: Span[]
  warnings: string[]
}

/**
 * `GET /api/traces/:traceId/compact`: the trace as the UI's trace page reads it, small enough
 * for 100,000 spans. One array per field (a column), one entry per span in display order; each
 * string a span names (service, operation, kind, status message) is in `strings` once and the
 * columns hold its index. Attributes, resource, events and links are left out: the span route
 * answers them for one span.
 */
export interface CompactTraceResponse {
  traceId: string
  warnings: string[]
  /** every distinct service, operation, kind and status message; `strings[0]` is '' */
  strings: string[]
  /** the earliest span's start, Unix ms; the time columns count from it */
  startTimeUnixMs: number
  spanId: string[]
  /** the parent's position in these columns; -1 for a root and for a span whose parent is not stored */
  parent: number[]
  /** indexes into `strings` */
  service: number[]
  name: number[]
  kind: number[]
  /** nanoseconds after `startTimeUnixMs` (integers) */
  startOffsetNs: number[]
  durationNs: number[]
  /** 0 UNSET, 1 OK, 2 ERROR */
  statusCode: number[]
  /** index into `strings` */
  statusMessage: number[]
  /** where an outgoing call (CLIENT or PRODUCER) went, when its attributes say (peer.service, url.full's host and path, server.address): index into `strings`, 0 for none */
  callTarget: number[]
  /** the spans' events, one entry per event: the span's position, nanoseconds after `startTimeUnixMs`, the name's index into `strings` */
  eventSpan: number[]
  eventOffsetNs: number[]
  eventName: number[]
}

/** `GET /api/traces/:traceId/spans/:spanId`: one span, whole (what the compact trace leaves out). */
export interface SpanResponse {
  span: Span
}

/** `GET /api/traces/:traceId/find?text=`: the spans of a trace with an attribute value containing the text. */
export interface TraceFindResponse {
  spanIds: string[]
}

/** `GET /api/traces/:traceId/logs` and `GET /api/logs` */
export interface LogsResponse {
  logs: LogRecord[]
}

/** `GET /api/traces/:traceId/linked-from` */
export interface LinkedFromResponse {
  links: IncomingLink[]
  /** present (true) when the walk stopped at its time budget */
  incomplete?: boolean
}

/** `GET /api/dependencies` */
export interface DependenciesResponse {
  edges: DependencyEdge[]
}

/** Every 4xx/5xx of the query API. */
export interface ErrorResponse {
  error: string
}

// ---- RED metrics (docs/logs-metrics-alerts.md, "RED metrics from spans") ----

/** A row of `GET /api/metrics/services`; the quantiles are null without requests. */
export interface ServiceMetricsRow {
  service: string
  operation: string
  spanKind: string
  requests: number
  ratePerSec: number
  errorRate: number
  p50Ms: number | null
  p95Ms: number | null
  p99Ms: number | null
  /** requests per slot */
  spark: number[]
}

export interface ServiceMetricsResponse {
  rows: ServiceMetricsRow[]
}

/** A point of `GET /api/metrics/series`. */
export interface MetricsPoint {
  t: number
  requests: number
  errors: number
  /** per second over the part of the bucket that has passed (the whole step unless unfinished) */
  ratePerSec: number
  errorRate: number
  p50Ms: number | null
  p95Ms: number | null
  p99Ms: number | null
  /** the bucket reaches past now: still filling, so its figures are partial */
  unfinished: boolean
}

export interface MetricsSeries {
  stepMs: number
  points: MetricsPoint[]
}

// ---- Alerts (docs/logs-metrics-alerts.md, "Alerts") ----

export type AlertStateName = 'inactive' | 'pending' | 'firing'

/** A trace an alert points at: one of the slowest or failing in its window. */
export interface ExampleTrace {
  traceId: string
  durationMs: number
  error: boolean
}

/** A rule of `GET /api/alerts` with its state. */
export interface AlertRuleStatus {
  name: string
  /** duration_quantile | error_rate | request_rate */
  kind: string
  service: string
  operation: string | null
  spanKind: string | null
  quantile: number | null
  threshold: number
  windowMs: number
  forMs: number
  state: AlertStateName
  since: number | null
  activeAt: number | null
  value: number | null
  lastEvaluatedAt: number | null
  exampleTraces: ExampleTrace[]
}

export interface AlertsResponse {
  rules: AlertRuleStatus[]
}
