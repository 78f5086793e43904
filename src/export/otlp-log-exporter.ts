/**
 * Ships log records (the sidecar's access log, as OTLP logs) the way spans
 * are shipped: the main thread only queues the flat record (BatchQueue: the
 * same bounded queue, batching, send slots and drop accounting as spans) and
 * a piscina worker encodes and POSTs each batch with the same sender and
 * retry policy. The logs have their own one-thread pool: the span pool's
 * task type carries packed spans only (see README "Adding OTLP logs").
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExporterConfig } from '../config/proxy-config.js'
import type { ResourceAttributes } from '../span/span-record.js'
import { arrayBatches, BatchQueue } from './batch-queue.js'
import { workerSendSettings } from './export-task.js'
import type { BatchOutcome, WorkerSettings } from './export-task.js'
import { WORKER_RESOURCE_LIMITS } from './export-worker-pool.js'
import { DROP_REASONS, newExportStats, registerExporterMetrics, totalDropped } from './exporter-metrics.js'
import type { BatchCounters, ExportStats } from './exporter-metrics.js'
import type { LogRecordData, LogRecordExporter } from './otlp-log-record.js'
import { createShutdownState, ShutdownSignal } from './shutdown-watch.js'

/** Given once to the log worker as `workerData`: the span workers' settings, for the one logs endpoint. */
export type LogWorkerSettings = Omit<WorkerSettings, 'endpoints'> & { endpoint: string }

export interface OtlpLogExporterOptions {
  config: ExporterConfig
  resource: ResourceAttributes
  registry: Registry<RegistryContentType>
  log: (line: string) => void
}

function logWorkerUrl(): string {
  // `.ts` under tsx (tests), `.js` from dist/, like export-worker-pool.ts.
  return new URL(`./otlp-log-export-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href
}

export class OtlpLogExporter implements LogRecordExporter {
  private readonly stats: ExportStats = newExportStats()
  private readonly counters: BatchCounters
  private readonly queue: BatchQueue<LogRecordData[], LogRecordData[]>
  /** Started with the first batch, like the span pool: an idle sidecar keeps no log worker. */
  private pool: Piscina<LogRecordData[], BatchOutcome> | undefined
  private readonly settings: LogWorkerSettings
  private readonly shutdownSignal = new ShutdownSignal(createShutdownState())
  private shutdownReport: Promise<{ exported: number; dropped: number }> | undefined

  constructor(private readonly options: OtlpLogExporterOptions) {
    const { config } = options
    let endpoint: string
    try {
      endpoint = new URL(config.logsEndpoint).href
    } catch {
      throw new Error(`exporter.logsEndpoint: '${config.logsEndpoint}' is not a URL; give the full logs URL, e.g. http://127.0.0.1:4318/v1/logs`)
    }
    const settings: LogWorkerSettings = {
      endpoint,
      ...workerSendSettings(config, options.resource, { name: 'tracecar/access-log', version: '' }, this.shutdownSignal.state),
    }
    this.settings = settings
    this.counters = registerExporterMetrics(options.registry, 'logs', this.stats, () => this.queue.queued)
    this.queue = new BatchQueue(
      {
        signal: 'logs',
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: config.maxExportBatchSize,
        scheduledDelayMs: config.scheduledDelayMs,
        maxConcurrentExports: Math.max(1, config.maxConcurrentExports),
      },
      arrayBatches<LogRecordData>(),
      (items) => this.startedPool().run(items),
      this.stats,
      this.counters,
    )
  }

  private startedPool(): Piscina<LogRecordData[], BatchOutcome> {
    if (this.pool === undefined) {
      this.pool = new Piscina<LogRecordData[], BatchOutcome>({
        filename: logWorkerUrl(),
        name: 'default',
        minThreads: 1,
        maxThreads: 1,
        resourceLimits: WORKER_RESOURCE_LIMITS,
        concurrentTasksPerWorker: Math.max(1, this.options.config.maxConcurrentExports),
        workerData: this.settings,
      })
      // Without a listener an 'error' event would throw on the main thread.
      this.pool.on('error', () => this.counters.workerFailures.inc({ signal: 'logs' }))
    }
    return this.pool
  }

  export(record: LogRecordData): void {
    const batch = this.queue.reserve()
    if (batch === undefined) return
    batch.push(record)
    this.queue.commit()
  }

  snapshot(): Readonly<ExportStats> & { queued: number } {
    return { ...this.stats, dropped: { ...this.stats.dropped }, queued: this.queue.queued }
  }

  /** Flushes for at most `deadlineMs`, stops the worker, logs one summary line. */
  shutdown(deadlineMs: number): Promise<{ exported: number; dropped: number }> {
    this.shutdownReport ??= (async () => {
      const deadlineUnixMs = Date.now() + Math.max(0, deadlineMs)
      this.shutdownSignal.begin(deadlineUnixMs)
      await this.queue.close(deadlineUnixMs)
      await this.pool?.destroy()
      const report = { exported: this.stats.exported, dropped: totalDropped(this.stats) }
      const byReason = DROP_REASONS.map((reason) => `${reason} ${this.stats.dropped[reason]}`).join(', ')
      const lastError = report.dropped > 0 && this.queue.lastError !== '' ? `; last error: ${this.queue.lastError}` : ''
      this.options.log(`access log OTLP exporter stopped: ${report.exported} log records exported, ${report.dropped} dropped (${byReason})${lastError}`)
      return report
    })()
    return this.shutdownReport
  }
}
