/**
 * Ships log records (the sidecar's access log, as OTLP logs) the way spans
 * are shipped, through the same export pool: the same bounded queue,
 * batching, send slots and drop accounting (BatchQueue), the same workers,
 * sender, retries, Retry-After and partial success.
 *
 * With OTLP protobuf (the default) each record is written into the open
 * batch's shared-memory buffer when it is exported (ProtoLogBatch), so a
 * sealed batch is a complete request body that a worker only compresses and
 * POSTs. With OTLP/JSON, records are queued as they are and encoded in the
 * worker.
 */
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExporterConfig } from '../config/proxy-config.js'
import { arrayBatches, BatchQueue } from './batch-queue.js'
import type { SendBatch } from './batch-queue.js'
import type { ExportChannel, OtlpExportPool } from './export-worker-pool.js'
import { DROP_REASONS, newExportStats, registerExporterMetrics, totalDropped } from './exporter-metrics.js'
import type { BatchCounters, ExportStats } from './exporter-metrics.js'
import { ProtoLogBatch } from './otlp-log-encode.js'
import type { LogRecordData, LogRecordExporter } from './otlp-log-record.js'
import { OtlpRequestFrame, protoBatchForm } from './otlp-proto-batch.js'
import type { EncodedBatch } from './otlp-proto-batch.js'

export interface OtlpLogExporterOptions {
  /** The process's export pool, shared with the span exporter (endpoint: `exporter.logsEndpoint`). */
  pool: OtlpExportPool
  /** Queue and batch sizes (the same settings as the span exporter's). */
  config: ExporterConfig
  registry: Registry<RegistryContentType>
  log: (line: string) => void
}

/** The instrumentation scope of the access log's records. */
export const ACCESS_LOG_SCOPE = { name: 'tracecar/access-log', version: '' }

export class OtlpLogExporter implements LogRecordExporter {
  private readonly stats: ExportStats = newExportStats()
  private readonly counters: BatchCounters
  private readonly queue: { queued: number; lastError: string; close(deadlineUnixMs: number): Promise<void> }
  private readonly add: (record: LogRecordData) => void
  private readonly channel: ExportChannel
  private poolScheduled = false
  private shutdownReport: Promise<{ exported: number; dropped: number }> | undefined

  constructor(private readonly options: OtlpLogExporterOptions) {
    const { config, pool } = options
    this.counters = registerExporterMetrics(options.registry, 'logs', this.stats, () => this.queue.queued)
    const channel = pool.attach('logs', { scope: ACCESS_LOG_SCOPE, onWorkerError: () => this.counters.workerFailures.inc({ signal: 'logs' }) })
    this.channel = channel
    const queueOptions = {
      signal: 'logs' as const,
      maxQueueSize: config.maxQueueSize,
      maxExportBatchSize: config.maxExportBatchSize,
      scheduledDelayMs: config.scheduledDelayMs,
      maxConcurrentExports: Math.max(1, config.maxConcurrentExports),
    }
    if (pool.protocol === 'http/protobuf') {
      const frame = new OtlpRequestFrame({ resource: pool.resource, scope: ACCESS_LOG_SCOPE })
      const form = protoBatchForm((initialBytes) => new ProtoLogBatch(frame, initialBytes))
      // Shared memory: cloned by reference, and still there to send again if the worker dies.
      const send: SendBatch<EncodedBatch> = (encoded) => channel.run({ signal: 'logs', encoded })
      const queue = new BatchQueue(queueOptions, form, send, this.stats, this.counters)
      this.queue = queue
      this.add = (record) => {
        const batch = queue.reserve()
        if (batch === undefined) return
        batch.add(record)
        queue.commit()
      }
    } else {
      const send: SendBatch<LogRecordData[]> = (records) => channel.run({ signal: 'logs', records })
      const queue = new BatchQueue(queueOptions, arrayBatches<LogRecordData>(), send, this.stats, this.counters)
      this.queue = queue
      this.add = (record) => {
        const batch = queue.reserve()
        if (batch === undefined) return
        batch.push(record)
        queue.commit()
      }
    }
  }

  export(record: LogRecordData): void {
    this.add(record)
    if (!this.poolScheduled) {
      this.poolScheduled = true
      if (this.shutdownReport === undefined) this.channel.startSoon()
    }
  }

  snapshot(): Readonly<ExportStats> & { queued: number } {
    return { ...this.stats, dropped: { ...this.stats.dropped }, queued: this.queue.queued }
  }

  /**
   * Flushes for at most `deadlineMs`, releases the pool (its workers stop
   * once the span exporter is done with them too), logs one summary line.
   */
  shutdown(deadlineMs: number): Promise<{ exported: number; dropped: number }> {
    this.shutdownReport ??= (async () => {
      const deadlineUnixMs = Date.now() + Math.max(0, deadlineMs)
      this.channel.beginShutdown(deadlineUnixMs)
      await this.queue.close(deadlineUnixMs)
      await this.channel.release()
      const report = { exported: this.stats.exported, dropped: totalDropped(this.stats) }
      const byReason = DROP_REASONS.map((reason) => `${reason} ${this.stats.dropped[reason]}`).join(', ')
      const lastError = report.dropped > 0 && this.queue.lastError !== '' ? `; last error: ${this.queue.lastError}` : ''
      this.options.log(`access log OTLP exporter stopped: ${report.exported} log records exported, ${report.dropped} dropped (${byReason})${lastError}`)
      return report
    })()
    return this.shutdownReport
  }
}
