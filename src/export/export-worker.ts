/**
 * Piscina worker entry: sends one batch as OTLP, with retries. With protobuf
 * the batch arrives as a complete request body (encoded on the main thread
 * into shared memory as each span ended), so the worker compresses, POSTs,
 * retries, waits out backoff and reads partial success; with OTLP/JSON it
 * first encodes the packed records with otlp-transformer. It never throws for
 * a collector problem: it returns a BatchOutcome. A rejection of the task
 * therefore means the worker itself broke, and the main thread sends the
 * batch again.
 *
 * A second signal (OTLP logs) adds one entry to `encoders` and `senders`.
 */
import { workerData } from 'piscina'
import type { BatchOutcome, ExportSignal, ExportTask, WorkerSettings } from './export-task.js'
import { OtlpHttpSender } from './otlp-http-send.js'
import { CONTENT_TYPE } from './otlp-content-type.js'
import { readTracePartialSuccess } from './otlp-partial-success.js'
import { encodedBatchBytes } from './otlp-proto-encode.js'
import { ShutdownWatch } from './shutdown-watch.js'
import { unpackSpanBatch } from './span-batch-pack.js'

const settings = workerData as WorkerSettings
const shutdown = new ShutdownWatch(settings.shutdownState)

// Protobuf bodies arrive encoded; JSON goes through OpenTelemetry's encoder,
// which is only loaded in JSON mode: otlp-transformer, protobufjs and the generated
// OTLP root add ~20 MB to a worker's RSS. Loaded without a top-level await:
// piscina first loads this file with require(), and under tsx (the tests) that
// is how it succeeds, so there `require` is defined and the module is required;
// compiled (ESM) it is a dynamic import.
type Encoder = (task: ExportTask) => Uint8Array | Promise<Uint8Array>
function traceEncoder(): Encoder {
  if (settings.protocol === 'http/protobuf') {
    return (task) => {
      if (task.encoded === undefined) throw new Error('a protobuf exporter was given records, not an encoded batch')
      return encodedBatchBytes(task.encoded)
    }
  }
  const loading: Promise<typeof import('./otlp-trace-encode.js')> =
    typeof require === 'function' ? Promise.resolve(require('./otlp-trace-encode.js')) : import('./otlp-trace-encode.js')
  return async (task) => {
    if (task.packed === undefined) throw new Error('a JSON exporter was given an encoded batch, not records')
    return (await loading).encodeTraceRequest(unpackSpanBatch(task.packed), settings.protocol, settings.resource, settings.scope)
  }
}
const encoders: Record<ExportSignal, Encoder> = {
  traces: traceEncoder(),
}

/** Items in a task, for the outcome's counts. */
const itemCounts: Record<ExportSignal, (task: ExportTask) => number> = {
  traces: (task) => (task.encoded ?? task.packed).count,
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
