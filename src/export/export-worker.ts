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
import { CONTENT_TYPE } from './otlp-content-type.js'
import { readTracePartialSuccess } from './otlp-partial-success.js'
import { TraceProtoEncoder } from './otlp-proto-encode.js'
import { ShutdownWatch } from './shutdown-watch.js'
import { unpackSpanBatch } from './span-batch-pack.js'

const settings = workerData as WorkerSettings
const shutdown = new ShutdownWatch(settings.shutdownState)

// Protobuf through tracecar's own encoder (about 4x cheaper per span than the
// transformer, see otlp-proto-encode.ts); JSON through OpenTelemetry's, which
// is only loaded in JSON mode: otlp-transformer, protobufjs and the generated
// OTLP root add ~20 MB to a worker's RSS. Loaded without a top-level await:
// piscina first loads this file with require(), and under tsx (the tests) that
// is how it succeeds, so there `require` is defined and the module is required;
// compiled (ESM) it is a dynamic import.
type Encoder = (task: ExportTask) => Uint8Array | Promise<Uint8Array>
function traceEncoder(): Encoder {
  if (settings.protocol === 'http/protobuf') {
    const traceProto = new TraceProtoEncoder({ resource: settings.resource, scope: settings.scope })
    return (task) => traceProto.encode(unpackSpanBatch(task.packed))
  }
  const loading: Promise<typeof import('./otlp-trace-encode.js')> =
    typeof require === 'function' ? Promise.resolve(require('./otlp-trace-encode.js')) : import('./otlp-trace-encode.js')
  return async (task) => (await loading).encodeTraceRequest(unpackSpanBatch(task.packed), settings.protocol, settings.resource, settings.scope)
}
const encoders: Record<ExportSignal, Encoder> = {
  traces: traceEncoder(),
}

/** Items in a task, for the outcome's counts. */
const itemCounts: Record<ExportSignal, (task: ExportTask) => number> = {
  traces: (task) => task.packed.count,
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
    body = await encoders[task.signal](task)
  } catch (err) {
    // A record the encoder cannot represent: retrying cannot help.
    const message = err instanceof Error ? err.message : String(err)
    return { delivered: 0, rejected: 0, failed: itemCounts[task.signal](task), stoppedByShutdown: false, attempts: 0, error: `could not encode ${task.signal} batch as OTLP: ${message}` }
  }
  return senders[task.signal].send(body, itemCounts[task.signal](task))
}
