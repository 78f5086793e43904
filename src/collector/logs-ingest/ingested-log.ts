/**
 * The collector-independent shape of one log line after decoding and trace
 * id derivation; `log-ingest-routes.ts` hands these to the store.
 */
import type { LogRecord } from '../../query-api/query-api-types.js'

export type LogAttributeValue = string | number | boolean

/**
 * The API's log record before it is stored: the same text fields (the
 * severity, its number 0 when unknown; the body; the trace and span ids in
 * lowercase hex, '' when the line names none; the service), with the times
 * in nanoseconds and flat attributes.
 */
export type IngestedLog = Pick<LogRecord, 'severityText' | 'severityNumber' | 'body' | 'traceId' | 'spanId' | 'service'> & {
  timeUnixNano: bigint
  observedTimeUnixNano: bigint
  attributes: Record<string, LogAttributeValue>
  resource: Record<string, LogAttributeValue>
}
