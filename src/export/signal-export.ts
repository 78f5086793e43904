/**
 * The main-thread half of exporting one OTLP signal, written once for spans
 * and log records (as OpenTelemetry JS writes its delivery once for every
 * signal; only the serializer is per signal): drop counters and metrics, the
 * bounded batch queue, this signal's channel to the shared worker pool, the
 * pool's start on the first item, and shutdown with its one summary line.
 * Each exporter only says how its items gather into batches and how a batch
 * goes to a worker.
 */
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExporterConfig } from '../config/proxy-config.js'
import type { ExportReport } from '../span/span-exporter.js'
import { BatchQueue } from './batch-queue.js'
import type { BatchForm, SendBatch } from './batch-queue.js'
import type { ExportSignal } from './export-task.js'
import type { ExportChannel, OtlpExportPool } from './export-worker-pool.js'
import { DROP_REASONS, newExportStats, registerExporterMetrics, totalDropped } from './exporter-metrics.js'
import type { ExportStats } from './exporter-metrics.js'

export interface SignalExportOptions<O, B> {
  signal: ExportSignal
  /** Queue and batch sizes. */
  config: ExporterConfig
  registry: Registry<RegistryContentType>
  pool: OtlpExportPool
  scope: { name: string; version: string }
  /** How items gather into batches, and how a sealed batch is handed to the pool. */
  batches(channel: ExportChannel): { form: BatchForm<O, B>; send: SendBatch<B> }
  /** The summary line's words: `<exporter> stopped: N <items> exported, ...`. */
  names: { exporter: string; items: string }
  log: (line: string) => void
}

export class SignalExport<O, B> {
  private readonly stats: ExportStats = newExportStats()
  private readonly queue: BatchQueue<O, B>
  private readonly channel: ExportChannel
  private poolScheduled = false
  private shutdownReport: Promise<ExportReport> | undefined

  constructor(private readonly options: SignalExportOptions<O, B>) {
    const { signal, config } = options
    const counters = registerExporterMetrics(options.registry, signal, this.stats, () => this.queue.queued)
    this.channel = options.pool.attach(signal, { scope: options.scope, onWorkerError: () => counters.workerFailures.inc({ signal }) })
    const { form, send } = options.batches(this.channel)
    this.queue = new BatchQueue(
      {
        signal,
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: config.maxExportBatchSize,
        scheduledDelayMs: config.scheduledDelayMs,
        maxConcurrentExports: Math.max(1, config.maxConcurrentExports),
      },
      form,
      send,
      this.stats,
      counters,
    )
  }

  /**
   * The open batch to add one item to, then call `commit`; undefined when the
   * item is dropped (counted). The first call starts the pool's workers, on
   * setImmediate, off the request that brought the item.
   */
  reserve(): O | undefined {
    if (!this.poolScheduled) {
      this.poolScheduled = true
      if (this.shutdownReport === undefined) this.channel.startSoon()
    }
    return this.queue.reserve()
  }

  commit(): void {
    this.queue.commit()
  }

  /** Running totals, as also exposed on the metrics. */
  snapshot(): Readonly<ExportStats> & { queued: number } {
    return { ...this.stats, dropped: { ...this.stats.dropped }, queued: this.queue.queued }
  }

  /**
   * Flushes what is queued for at most `deadlineMs` milliseconds from now,
   * then releases the pool (its workers stop once no other signal uses them).
   * Items not delivered by then are counted as dropped. Logs one summary
   * line. Calling it again returns the same report.
   */
  shutdown(deadlineMs: number): Promise<ExportReport> {
    this.shutdownReport ??= this.stop(deadlineMs)
    return this.shutdownReport
  }

  private async stop(deadlineMs: number): Promise<ExportReport> {
    const deadlineUnixMs = Date.now() + Math.max(0, deadlineMs)
    this.channel.beginShutdown(deadlineUnixMs)
    await this.queue.close(deadlineUnixMs)
    // The pool is destroyed once every signal sharing it has flushed.
    await this.channel.release()
    const report: ExportReport = { exported: this.stats.exported, dropped: totalDropped(this.stats) }
    const byReason = DROP_REASONS.map((reason) => `${reason} ${this.stats.dropped[reason]}`).join(', ')
    const lastError = report.dropped > 0 && this.queue.lastError !== '' ? `; last error: ${this.queue.lastError}` : ''
    const { exporter, items } = this.options.names
    this.options.log(`${exporter} stopped: ${report.exported} ${items} exported, ${report.dropped} dropped (${byReason})${lastError}`)
    return report
  }
}

/** What an exporter keeps of its SignalExport whatever its batch form. */
export interface SignalExportControl {
  snapshot(): Readonly<ExportStats> & { queued: number }
  shutdown(deadlineMs: number): Promise<ExportReport>
}
