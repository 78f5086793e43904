/**
 * What crosses the thread boundary between the batch queue (main thread) and
 * the export workers: one task per batch, one outcome per task. Plain data
 * only, so structured clone carries it (spans travel packed, see span-batch-pack.ts).
 *
 * A signal is one OTLP export service. Adding OTLP logs means: a 'logs' member
 * here, an encoder in the worker's table, and a queue for the records.
 */
import type { ExporterConfig } from '../config/proxy-config.js'
import type { ResourceAttributes } from '../span/span-record.js'
import type { EncodedSpanBatch } from './otlp-proto-encode.js'
import type { BackoffPolicy } from './retry-policy.js'
import type { PackedSpanBatch } from './span-batch-pack.js'

export type ExportSignal = 'traces'

/** OTLP protobuf: the request body, encoded on the main thread, in shared memory (nothing left to encode). */
export interface EncodedTraceExportTask {
  signal: 'traces'
  encoded: EncodedSpanBatch
  packed?: undefined
}

/** OTLP/JSON: the records packed (span-batch-pack.ts); its `numbers` buffer is transferred, not cloned. */
export interface PackedTraceExportTask {
  signal: 'traces'
  packed: PackedSpanBatch
  encoded?: undefined
}

export type ExportTask = EncodedTraceExportTask | PackedTraceExportTask

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
  endpoints: Record<ExportSignal, string>
  protocol: 'http/protobuf' | 'http/json'
  compression: 'gzip' | 'none'
  headers: Record<string, string>
  /** Deadline of one HTTP request. */
  timeoutMs: number
  backoff: BackoffPolicy
  resource: ResourceAttributes
  scope: { name: string; version: string }
  /**
   * Shutdown signal shared with the main thread: Int32 slot 0 becomes 1 at
   * shutdown (and is notified), Float64 slot 1 holds the deadline as epoch ms.
   * Workers read it before every attempt and wait so retries end in time.
   */
  shutdownState: SharedArrayBuffer
}

/** The sending half of a worker's settings, as the span and the log exporters both take it from the config. */
export function workerSendSettings(
  config: ExporterConfig,
  resource: ResourceAttributes,
  scope: { name: string; version: string },
  shutdownState: SharedArrayBuffer,
): Omit<WorkerSettings, 'endpoints'> {
  return {
    protocol: config.protocol,
    compression: config.compression,
    headers: { ...config.headers },
    timeoutMs: config.timeoutMs,
    backoff: { maxAttempts: Math.max(1, config.maxAttempts), initialBackoffMs: config.initialBackoffMs, maxBackoffMs: config.maxBackoffMs },
    resource: { ...resource },
    scope,
    shutdownState,
  }
}

export const SHUTDOWN_FLAG_INDEX = 0
export const SHUTDOWN_DEADLINE_INDEX = 1
export const SHUTDOWN_STATE_BYTES = 16
