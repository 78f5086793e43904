/**
 * Piscina worker entry for both OTLP signals (traces and logs): sends one
 * batch, with retries. With protobuf a batch of either signal arrives as a
 * complete request body (encoded on the main thread into shared memory as
 * each span or log record ended), so the worker compresses, POSTs, retries,
 * waits out backoff and reads partial success; with OTLP/JSON it first
 * encodes the records (spans with otlp-transformer, log records with
 * `encodeLogsJson`). It never throws for a collector problem: it returns a
 * BatchOutcome. A rejection of the task therefore means the worker itself
 * broke, and the main thread sends the batch again.
 *
 * One sender per signal: its endpoint, its partial-success reader, and its
 * signal's shutdown deadline.
 */
import { workerData } from 'piscina'
import type { BatchOutcome, ExportSignal, ExportTask, WorkerSettings } from './export-task.js'
import { EXPORT_SIGNALS } from './export-task.js'
import { OtlpHttpSender } from './otlp-http-send.js'
import { CONTENT_TYPE } from './otlp-content-type.js'
import { encodeLogsJson } from './otlp-log-encode.js'
import { PARTIAL_SUCCESS_READERS } from './otlp-partial-success.js'
import { encodedBatchBytes } from './otlp-proto-batch.js'
import { ShutdownWatch } from './shutdown-watch.js'
import { unpackSpanBatch } from './span-batch-pack.js'

const settings = workerData as WorkerSettings

// Protobuf bodies arrive encoded; JSON spans go through OpenTelemetry's
// encoder, which is only loaded in JSON mode: otlp-transformer, protobufjs and
// the generated OTLP root add ~20 MB to a worker's RSS. Loaded without a
// top-level await: piscina first loads this file with require(), and under tsx
// (the tests) that is how it succeeds, so there `require` is defined and the
// module is required; compiled (ESM) it is a dynamic import.
type TraceEncodeModule = typeof import('./otlp-trace-encode.js')
let traceEncoding: Promise<TraceEncodeModule> | undefined
function traceEncoder(): Promise<TraceEncodeModule> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the require() path explained above
  traceEncoding ??= typeof require === 'function' ? Promise.resolve(require('./otlp-trace-encode.js') as TraceEncodeModule) : import('./otlp-trace-encode.js')
  return traceEncoding
}
// Started with the worker, not with its first batch; a failure is reported by that batch.
if (settings.protocol === 'http/json' && settings.endpoints.traces !== '') traceEncoder().catch(() => {})

async function encode(task: ExportTask): Promise<Uint8Array> {
  if (task.encoded !== undefined) {
    if (settings.protocol !== 'http/protobuf') throw new Error('a JSON exporter was given an encoded batch, not records')
    return encodedBatchBytes(task.encoded)
  }
  if (settings.protocol !== 'http/json') throw new Error(`a protobuf exporter was given ${task.signal} records, not an encoded batch`)
  if (task.packed !== undefined) {
    return (await traceEncoder()).encodeTraceRequest(unpackSpanBatch(task.packed), settings.protocol, settings.resource, settings.scopes.traces)
  }
  return encodeLogsJson(task.records, settings.resource, settings.scopes.logs)
}

/** Items in a task, for the outcome's counts. */
function itemCount(task: ExportTask): number {
  if (task.encoded !== undefined) return task.encoded.count
  if (task.packed !== undefined) return task.packed.count
  return task.records.length
}

const senders: Partial<Record<ExportSignal, OtlpHttpSender>> = {}
for (const signal of EXPORT_SIGNALS) {
  if (settings.endpoints[signal] === '') continue
  senders[signal] = new OtlpHttpSender(
    {
      url: settings.endpoints[signal],
      contentType: CONTENT_TYPE[settings.protocol],
      compression: settings.compression,
      headers: settings.headers,
      timeoutMs: settings.timeoutMs,
      backoff: settings.backoff,
    },
    PARTIAL_SUCCESS_READERS[signal],
    new ShutdownWatch(settings.shutdownStates[signal]),
  )
}

export default async function exportBatch(task: ExportTask): Promise<BatchOutcome> {
  const count = itemCount(task)
  const sender = senders[task.signal]
  if (sender === undefined) {
    return { delivered: 0, rejected: 0, failed: count, stoppedByShutdown: false, attempts: 0, error: `the export pool has no ${task.signal} endpoint` }
  }
  let body: Uint8Array
  try {
    body = await encode(task)
  } catch (err) {
    // A record the encoder cannot represent: retrying cannot help.
    const message = err instanceof Error ? err.message : String(err)
    return {
      delivered: 0,
      rejected: 0,
      failed: count,
      stoppedByShutdown: false,
      attempts: 0,
      error: `could not encode ${task.signal} batch as OTLP: ${message}`,
    }
  }
  return sender.send(body, count)
}
