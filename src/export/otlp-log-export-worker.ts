/**
 * Piscina worker entry for log record batches: encodes OTLP logs and sends
 * them with the span exporter's OtlpHttpSender (same retries, backoff,
 * Retry-After and shutdown deadline). Never throws for a collector problem.
 */
import { workerData } from 'piscina'
import type { BatchOutcome } from './export-task.js'
import { OtlpHttpSender } from './otlp-http-send.js'
import { encodeLogsJson, encodeLogsProtobuf, readLogsPartialSuccess } from './otlp-log-encode.js'
import type { LogRecordData } from './otlp-log-record.js'
import type { LogWorkerSettings } from './otlp-log-exporter.js'
import { ShutdownWatch } from './shutdown-watch.js'

const settings = workerData as LogWorkerSettings
const encode = settings.protocol === 'http/json' ? encodeLogsJson : encodeLogsProtobuf

const sender = new OtlpHttpSender(
  {
    url: settings.endpoint,
    contentType: settings.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    compression: settings.compression,
    headers: settings.headers,
    timeoutMs: settings.timeoutMs,
    backoff: settings.backoff,
  },
  readLogsPartialSuccess,
  new ShutdownWatch(settings.shutdownState),
)

export default async function exportLogBatch(records: LogRecordData[]): Promise<BatchOutcome> {
  let body: Uint8Array
  try {
    body = encode(records, settings.resource, settings.scope)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    return { delivered: 0, rejected: 0, failed: records.length, stoppedByShutdown: false, attempts: 0, error: `could not encode log batch as OTLP: ${message}` }
  }
  return sender.send(body, records.length)
}
