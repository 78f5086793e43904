/**
 * The fields of a span that trace analysis reads: the query API's `Span` (`/api/traces/:id`,
 * src/query-api/query-api-types.ts), which the UI and `tracecar load` both read, has them.
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
