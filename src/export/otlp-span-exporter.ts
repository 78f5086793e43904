/**
 * The production SpanExporter: spans are queued on the main thread as they
 * are (no encoding, no copying) and shipped in batches as OTLP/HTTP by piscina
 * worker threads. See README.md in this folder.
 */
import { createRequire } from 'node:module'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExporterConfig } from '../config/proxy-config.js'
import type { ExportReport, SpanExporter } from '../span/span-exporter.js'
import type { ResourceAttributes, SpanRecord } from '../span/span-record.js'
import { BatchQueue } from './batch-queue.js'
import { workerSendSettings } from './export-task.js'
import type { WorkerSettings } from './export-task.js'
import { createExportWorkerPool } from './export-worker-pool.js'
import type { ExportWorkerPool, ExportWorkerPoolOptions } from './export-worker-pool.js'
import { DROP_REASONS, newExportStats, registerExporterMetrics, totalDropped } from './exporter-metrics.js'
import type { BatchCounters, ExportStats } from './exporter-metrics.js'
import { createShutdownState, ShutdownSignal } from './shutdown-watch.js'
import { SpanBatchPacker } from './span-batch-pack.js'
import type { PackedSpanBatch } from './span-batch-pack.js'

/** Spans packed per event-loop turn when a batch is handed over. */
const PACK_SLICE_SPANS = 64

/**
 * A batch packed into one string and one transferred buffer: cheaper than a
 * structured clone of the objects on both threads (bench/span-handoff.bench.js).
 * Packed 64 spans per event-loop turn (~0.2 ms), not 512 at once (~1.5 ms),
 * so requests arriving meanwhile are not held behind the whole batch.
 */
async function packInSlices(items: readonly SpanRecord[]): Promise<PackedSpanBatch> {
  const packer = new SpanBatchPacker()
  packer.begin()
  for (let i = 0; i < items.length; i++) {
    packer.add(items[i]!)
    if ((i + 1) % PACK_SLICE_SPANS === 0 && i + 1 < items.length) await nextTurn()
  }
  return packer.finish()
}

/** Where the one shutdown summary line goes (the proxy passes its logger). */
export type ExporterLog = (line: string) => void

export interface OtlpSpanExporterOptions {
  config: ExporterConfig
  resource: ResourceAttributes
  registry: Registry<RegistryContentType>
  log: ExporterLog
}

/** The instrumentation scope version: tracecar's own, from package.json beside src/ or dist/. */
function tracecarVersion(): string {
  try {
    // src/export/ and dist/export/ both sit two levels below package.json.
    const pkg = createRequire(import.meta.url)('../../package.json') as { name?: string; version?: string }
    return pkg.name === 'tracecar' && typeof pkg.version === 'string' ? pkg.version : ''
  } catch {
    // Bundled or relocated builds: the scope then carries no version (it is optional in OTLP).
    return ''
  }
}
const packageVersion = tracecarVersion()

export class OtlpSpanExporter implements SpanExporter {
  private readonly stats: ExportStats = newExportStats()
  private readonly counters: BatchCounters
  private readonly queue: BatchQueue<SpanRecord>
  /**
   * Created when the first span is exported, not with the exporter: a sidecar
   * whose traffic is unsampled, or that has none yet, never pays for a worker
   * (~20 MB RSS each). Started on setImmediate, off the request that brought
   * the span; by the time its batch is due the worker is usually up.
   */
  private pool: ExportWorkerPool | undefined
  private poolScheduled = false
  private readonly poolOptions: ExportWorkerPoolOptions
  private readonly shutdownSignal = new ShutdownSignal(createShutdownState())
  private readonly log: ExporterLog
  private shutdownReport: Promise<ExportReport> | undefined

  constructor(options: OtlpSpanExporterOptions) {
    const { config } = options
    const endpoint = checkEndpoint(config.endpoint)
    this.log = options.log
    const settings: WorkerSettings = {
      endpoints: { traces: endpoint },
      ...workerSendSettings(config, options.resource, { name: 'tracecar', version: packageVersion }, this.shutdownSignal.state),
    }
    this.counters = registerExporterMetrics(options.registry, 'traces', this.stats, () => this.queue.queued)
    this.poolOptions = {
      workers: config.workers,
      maxConcurrentExports: config.maxConcurrentExports,
      settings,
      onWorkerError: () => this.counters.workerFailures.inc({ signal: 'traces' }),
    }
    this.queue = new BatchQueue<SpanRecord>(
      {
        signal: 'traces',
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: config.maxExportBatchSize,
        scheduledDelayMs: config.scheduledDelayMs,
        maxConcurrentExports: Math.max(1, config.maxConcurrentExports),
      },
      async (items) => {
        const packed = await packInSlices(items)
        return this.startedPool().run({ signal: 'traces', packed }, { transferList: [packed.numbers.buffer] })
      },
      this.stats,
      this.counters,
    )
  }

  export(span: SpanRecord): void {
    this.queue.push(span)
    if (!this.poolScheduled) {
      this.poolScheduled = true
      setImmediate(this.startPoolSoon)
    }
  }

  private readonly startPoolSoon = (): void => {
    if (this.shutdownReport === undefined) this.startedPool()
  }

  private startedPool(): ExportWorkerPool {
    this.pool ??= createExportWorkerPool(this.poolOptions)
    return this.pool
  }

  /**
   * Flushes what is queued for at most `deadlineMs` milliseconds from now,
   * then stops the workers. Spans not delivered by then are counted as
   * dropped. Logs one summary line. Calling it again returns the same report.
   */
  shutdown(deadlineMs: number): Promise<ExportReport> {
    this.shutdownReport ??= this.stop(deadlineMs)
    return this.shutdownReport
  }

  /** Running totals, as also exposed on the metrics. */
  snapshot(): Readonly<ExportStats> & { queued: number } {
    return { ...this.stats, dropped: { ...this.stats.dropped }, queued: this.queue.queued }
  }

  /** The pool's worker threads, for diagnostics and crash tests. */
  get workerThreads(): readonly Worker[] {
    return this.pool?.threads ?? []
  }

  private async stop(deadlineMs: number): Promise<ExportReport> {
    const deadlineUnixMs = Date.now() + Math.max(0, deadlineMs)
    this.shutdownSignal.begin(deadlineUnixMs)
    await this.queue.close(deadlineUnixMs)
    await this.pool?.destroy()
    const report: ExportReport = { exported: this.stats.exported, dropped: totalDropped(this.stats) }
    this.log(this.summaryLine(report))
    return report
  }

  private summaryLine(report: ExportReport): string {
    const byReason = DROP_REASONS.map((reason) => `${reason} ${this.stats.dropped[reason]}`).join(', ')
    const lastError = report.dropped > 0 && this.queue.lastError !== '' ? `; last error: ${this.queue.lastError}` : ''
    return `span exporter stopped: ${report.exported} spans exported, ${report.dropped} dropped (${byReason})${lastError}`
  }
}

function checkEndpoint(endpoint: string): string {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new Error(`exporter.endpoint: '${endpoint}' is not a URL; give the full traces URL, e.g. http://127.0.0.1:4318/v1/traces`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`exporter.endpoint: '${endpoint}' uses ${url.protocol}; OTLP/HTTP needs http: or https:`)
  }
  return url.href
}

export function createOtlpSpanExporter(options: OtlpSpanExporterOptions): OtlpSpanExporter {
  return new OtlpSpanExporter(options)
}
