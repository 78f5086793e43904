/**
 * The fields of a span that trace analysis reads: the query API's span (`/api/traces/:id`) has
 * them, so the UI's `Span` and `tracecar load`'s `ApiSpan` both fit without conversion.
 */
export interface TimedSpan {
  spanId: string
  parentSpanId: string | null
  service: string
  /** the operation */
  name: string
  startTimeUnixMs: number
  endTimeUnixMs: number
}
