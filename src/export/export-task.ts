/**
 * What crosses the thread boundary between the batch queues (main thread) and
 * the export workers: one task per batch, one outcome per task. Plain data
 * only, so structured clone carries it.
 *
 * A signal is one OTLP export service. Both go through the same pool and the
 * same worker entry: with protobuf a batch of either signal arrives as a
 * complete request body in shared memory; with OTLP/JSON spans arrive packed
 * (span-batch-pack.ts) and log records as objects, encoded in the worker.
 */
import type { LogRecordData } from './otlp-log-record.js'
import type { EncodedBatch } from './otlp-proto-batch.js'
import type { BackoffPolicy } from './retry-policy.js'
import type { ResourceAttributes } from '../span/span-record.js'
import type { PackedSpanBatch } from './span-batch-pack.js'

export type ExportSignal = 'traces' | 'logs'

export const EXPORT_SIGNALS: readonly ExportSignal[] = ['traces', 'logs']

/** OTLP protobuf, either signal: the request body, encoded on the main thread, in shared memory (nothing left to encode). */
export interface EncodedExportTask {
  signal: ExportSignal
  encoded: EncodedBatch
  packed?: undefined
  records?: undefined
}

/** OTLP/JSON spans: the records packed (span-batch-pack.ts); its `numbers` buffer is transferred, not cloned. */
export interface PackedTraceExportTask {
  signal: 'traces'
  packed: PackedSpanBatch
  encoded?: undefined
  records?: undefined
}

/** OTLP/JSON log records: the flat records, cloned. */
export interface LogRecordsExportTask {
  signal: 'logs'
  records: LogRecordData[]
  encoded?: undefined
  packed?: undefined
}

export type ExportTask = EncodedExportTask | PackedTraceExportTask | LogRecordsExportTask

/** How one batch ended. Counts add up to the batch length. */
export interface BatchOutcome {
  /** Accepted by the collector. */
  delivered: number
  /** Refused by the collector: a non-retryable status, or partial success. */
  rejected: number
  /** Never accepted: retries exhausted, or stopped by shutdown (see `stoppedByShutdown`). */
  failed: number
  /** True when `failed` is due to the shutdown deadline rather than the collector. */
  stoppedByShutdown: boolean
  /** HTTP requests made for this batch. */
  attempts: number
  /** Last problem seen, in words a user can act on ('' when none). */
  error: string
}

/** Everything a worker needs, given once per pool as `workerData`. */
export interface WorkerSettings {
  /** Where each signal goes; '' for a signal the pool carries no exporter of. */
  endpoints: Record<ExportSignal, string>
  protocol: 'http/protobuf' | 'http/json'
  compression: 'gzip' | 'none'
  headers: Record<string, string>
  /** Deadline of one HTTP request. */
  timeoutMs: number
  backoff: BackoffPolicy
  /** For OTLP/JSON, encoded in the worker (protobuf bodies arrive with their envelope). */
  resource: ResourceAttributes
  scopes: Record<ExportSignal, { name: string; version: string }>
  /**
   * Each signal's shutdown, shared with the main thread: Int32 slot 0 becomes
   * 1 when that signal's exporter shuts down (and is notified), Float64 slot 1
   * holds its deadline as epoch ms. Workers read it before every attempt of
   * that signal's batches and wait so retries end in time. One per signal: the
   * pool is shared, and one exporter's shutdown must not cut the other's retries.
   */
  shutdownStates: Record<ExportSignal, SharedArrayBuffer>
}

export const SHUTDOWN_FLAG_INDEX = 0
export const SHUTDOWN_DEADLINE_INDEX = 1
export const SHUTDOWN_STATE_BYTES = 16
