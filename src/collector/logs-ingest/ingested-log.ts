/**
 * The collector-independent shape of one log line after decoding and trace
 * id derivation; `log-ingest-routes.ts` hands these to the store.
 */
export type LogAttributeValue = string | number | boolean

export interface IngestedLog {
  timeUnixNano: bigint
  observedTimeUnixNano: bigint
  severityText: string
  /** OpenTelemetry SeverityNumber, 0 when unknown. */
  severityNumber: number
  body: string
  /** 32 lowercase hex, or '' when the line names no trace. */
  traceId: string
  /** 16 lowercase hex, or ''. */
  spanId: string
  service: string
  attributes: Record<string, LogAttributeValue>
  resource: Record<string, LogAttributeValue>
}
