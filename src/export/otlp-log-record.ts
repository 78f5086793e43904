/**
 * One log record on its way from the proxy to an OTLP logs endpoint: the
 * sidecar's access log line, flat (one hidden class), built when the exchange
 * ends and written at once into the open protobuf batch (otlp-log-encode.ts);
 * with OTLP/JSON it is queued as it is and encoded in the export worker.
 */
import type { Attributes } from '../span/span-record.js'

export interface LogRecordData {
  /** Milliseconds since the Unix epoch, with a sub-millisecond fraction. */
  timeUnixMs: number
  /** OpenTelemetry SeverityNumber (9 = INFO, 13 = WARN, 17 = ERROR). */
  severityNumber: number
  severityText: string
  body: string
  /** '' when the record belongs to no trace. */
  traceId: string
  spanId: string
  /** W3C trace flags (bit 0 sampled, bit 1 random trace id). */
  traceFlags: number
  attributes: Attributes
}

/** What the sidecar needs from a log exporter: never throws or waits in `export`. */
export interface LogRecordExporter {
  export(record: LogRecordData): void
  shutdown(deadlineMs: number): Promise<{ exported: number; dropped: number }>
}
