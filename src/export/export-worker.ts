/**
 * Piscina worker entry: encodes one batch as OTLP and sends it, with retries.
 * Everything expensive about exporting (object building, protobuf/JSON
 * encoding, gzip, HTTP, waiting out backoff) happens here, off the proxy's
 * main thread. It never throws for a collector problem: it returns a
 * BatchOutcome. A rejection of the task therefore means the worker itself
 * broke, and the main thread treats the batch as not sent.
 *
 * A second signal (OTLP logs) adds one entry to `encoders` and `senders`.
 */
import { workerData } from 'piscina'
import type { BatchOutcome, ExportSignal, ExportTask, WorkerSettings } from './export-task.js'
import { OtlpHttpSender } from './otlp-http-send.js'
import { TraceProtoEncoder } from './otlp-proto-encode.js'
import { CONTENT_TYPE, encodeTraceRequest, readTracePartialSuccess } from './otlp-trace-encode.js'
import { ShutdownWatch } from './shutdown-watch.js'

const settings = workerData as WorkerSettings
const shutdown = new ShutdownWatch(settings.shutdownState)

// Protobuf through tracecar's own encoder (about 4x cheaper per span than the
// transformer, see otlp-proto-encode.ts); JSON through OpenTelemetry's.
const traceProto = new TraceProtoEncoder({ resource: settings.resource, scope: settings.scope })
const encoders: Record<ExportSignal, (task: ExportTask) => Uint8Array> = {
  traces: settings.protocol === 'http/protobuf'
    ? (task) => traceProto.encode(task.items)
    : (task) => encodeTraceRequest(task.items, settings.protocol, settings.resource, settings.scope),
}

const senders: Record<ExportSignal, OtlpHttpSender> = {
  traces: new OtlpHttpSender(
    {
      url: settings.endpoints.traces,
      contentType: CONTENT_TYPE[settings.protocol],
      compression: settings.compression,
      headers: settings.headers,
      timeoutMs: settings.timeoutMs,
      backoff: settings.backoff,
    },
    readTracePartialSuccess,
    shutdown,
  ),
}

export default async function exportBatch(task: ExportTask): Promise<BatchOutcome> {
  let body: Uint8Array
  try {
    body = encoders[task.signal](task)
  } catch (err) {
    // A record the encoder cannot represent: retrying cannot help.
    const message = err instanceof Error ? err.message : String(err)
    return { delivered: 0, rejected: 0, failed: task.items.length, stoppedByShutdown: false, attempts: 0, error: `could not encode ${task.signal} batch as OTLP: ${message}` }
  }
  return senders[task.signal].send(body, task.items.length)
}
