// The shapes of the collector's query API (docs/api.md, "Query API").
// Only what the UI reads; every value came from span data and is untrusted text.

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [k: string]: AttributeValue }
export type Attributes = Record<string, AttributeValue>

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

export type SpanKind = 'SERVER' | 'CLIENT' | 'INTERNAL' | 'PRODUCER' | 'CONSUMER' | 'UNSPECIFIED'

export interface SpanEvent {
  name: string
  timeUnixMs: number
  attributes: Attributes
}

export interface SpanLink {
  traceId: string
  spanId: string
  traceState?: string
  attributes: Attributes
}

export interface Span {
  traceId: string
  spanId: string
  parentSpanId: string | null
  name: string
  kind: SpanKind
  service: string
  startTimeUnixMs: number
  endTimeUnixMs: number
  durationMs: number
  traceState?: string
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string }
  attributes: Attributes
  resource: Attributes
  scope?: { name?: string; version?: string }
  events: SpanEvent[]
  links: SpanLink[]
}

/** A span of another trace whose link names this trace (`/api/traces/:id/linked-from`). */
export interface IncomingLink {
  traceId: string
  spanId: string
  service: string
  name: string
  startTimeUnixMs: number
  /** the span of this trace the link names */
  linkedSpanId: string
  traceState: string
  attributes: Attributes
}

export interface TraceResponse {
  traceId: string
  spans: Span[]
  warnings: string[]
}

export interface LogRecord {
  timeUnixMs: number
  observedTimeUnixMs?: number
  severityText: string
  severityNumber: number
  body: string
  traceId?: string
  spanId?: string
  service?: string
  attributes: Attributes
  resource: Attributes
}

export interface Operation {
  name: string
  spanKind: string
}

export interface DependencyEdge {
  parent: string
  child: string
  callCount: number
  errorCount: number
}

export interface ServiceMetricsRow {
  service: string
  operation: string
  spanKind: string
  requests: number
  ratePerSec: number
  errorRate: number
  p50Ms: number
  p95Ms: number
  p99Ms: number
  spark: number[]
}

export interface MetricsPoint {
  t: number
  requests: number
  errors: number
  ratePerSec: number
  errorRate: number
  p50Ms: number | null
  p99Ms: number | null
  /** the bucket reaches past now and is still filling (absent from older collectors) */
  unfinished?: boolean
}

export interface MetricsSeries {
  stepMs: number
  points: MetricsPoint[]
}

export interface AlertRule {
  name: string
  /** duration_quantile | error_rate | request_rate (others are shown as they come) */
  kind: string
  service?: string
  operation?: string | null
  spanKind?: string | null
  quantile?: number | null
  threshold: number
  windowMs?: number
  forMs: number
  state: 'inactive' | 'pending' | 'firing'
  since?: number | null
  value?: number | null
  exampleTraces: { traceId: string; durationMs: number; error: boolean }[]
}
