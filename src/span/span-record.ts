/**
 * The span record: the one shape a finished span has on its way out of the proxy.
 *
 * It is built on the request path, so it is a flat object with a fixed set of
 * fields (one hidden class, no nested allocations beyond attributes and events)
 * and carries no OTLP or JSON encoding: worker threads do that (src/export).
 */

/** 32 lowercase hex characters, never all zeros. */
export type TraceId = string
/** 16 lowercase hex characters, never all zeros. */
export type SpanId = string

/** OTLP `Span.SpanKind` values. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const
export type SpanKindValue = (typeof SpanKind)[keyof typeof SpanKind]

/** OTLP `Status.StatusCode` values. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const
export type StatusCodeValue = (typeof StatusCode)[keyof typeof StatusCode]

/** Integers become OTLP intValue, other numbers doubleValue. */
export type AttributeValue = string | number | boolean | string[]
export type Attributes = Record<string, AttributeValue>

export interface SpanEvent {
  name: string
  /** Milliseconds since the Unix epoch, with a sub-millisecond fraction. */
  timeUnixMs: number
  attributes?: Attributes
}

export interface SpanLink {
  traceId: TraceId
  spanId: SpanId
  traceState?: string
  attributes?: Attributes
}

export interface SpanRecord {
  traceId: TraceId
  spanId: SpanId
  /** '' for a root span. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- the '' says what a root holds
  parentSpanId: SpanId | ''
  /** W3C trace-flags byte; bit 0 is "sampled". */
  traceFlags: number
  /** The W3C tracestate carried by this span ('' when none). */
  traceState: string
  name: string
  kind: SpanKindValue
  /** Milliseconds since the Unix epoch, with a sub-millisecond fraction. */
  startUnixMs: number
  endUnixMs: number
  statusCode: StatusCodeValue
  statusMessage: string
  /** Keys are OpenTelemetry semantic-convention names. */
  attributes: Attributes
  events: SpanEvent[]
  links: SpanLink[]
}

/** Resource attributes describe the process, so they travel once per batch, not per span. */
export type ResourceAttributes = Attributes
