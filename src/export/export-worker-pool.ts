/**
 * The piscina pool of export workers, and where its worker file lives.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { BatchOutcome, ExportTask, WorkerSettings } from './export-task.js'

/**
 * The worker module beside this one, with this module's own extension: `.js`
 * when running the compiled dist/, `.ts` when running the sources under tsx
 * (worker threads inherit `--import tsx` through execArgv, so they can load it).
 */
export function exportWorkerUrl(): string {
  const ownExtension = extname(fileURLToPath(import.meta.url))
  return new URL(`./export-worker${ownExtension}`, import.meta.url).href
}

export interface ExportWorkerPoolOptions {
  workers: number
  /** Batches in flight across the pool; spread over the workers. */
  maxConcurrentExports: number
  settings: WorkerSettings
  /** Called for a worker error that belongs to no task (the pool replaces the worker). */
  onWorkerError: (err: unknown) => void
}

export type ExportWorkerPool = Piscina<ExportTask, BatchOutcome>

/**
 * Heap caps per worker. A worker holds at most its in-flight batches (a few
 * hundred KB of spans and bodies each), so these are far above need; they stop
 * a runaway worker from growing the proxy's RSS without bound (it would die
 * with ERR_WORKER_OUT_OF_MEMORY, be replaced, and its batch be retried once).
 * The young generation cap also keeps the scavenger's semispaces small.
 */
export const WORKER_RESOURCE_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 }

export function createExportWorkerPool(options: ExportWorkerPoolOptions): ExportWorkerPool {
  const workers = Math.max(1, options.workers)
  const pool: ExportWorkerPool = new Piscina({
    filename: exportWorkerUrl(),
    name: 'default',
    minThreads: workers,
    maxThreads: workers,
    resourceLimits: WORKER_RESOURCE_LIMITS,
    // Export tasks mostly wait on the network, so one worker carries several.
    concurrentTasksPerWorker: Math.max(1, Math.ceil(options.maxConcurrentExports / workers)),
    workerData: options.settings,
  })
  // Without a listener an 'error' event would throw on the main thread.
  pool.on('error', options.onWorkerError)
  return pool
}
