/**
 * The production SpanExporter. With OTLP protobuf (the default) each span is
 * written straight into the open batch's protobuf buffer on the main thread
 * when its exchange ends (no span object, no packing); a sealed batch is a
 * complete request body in shared memory that a piscina worker compresses and
 * POSTs. With OTLP/JSON, records are queued and packed for the worker, which
 * encodes them with otlp-transformer. See README.md in this folder.
 */
import { createRequire } from 'node:module'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Worker } from 'node:worker_threads'
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExporterConfig } from '../config/proxy-config.js'
import type { ExportReport, SpanExporter } from '../span/span-exporter.js'
import type { ResourceAttributes, SpanRecord } from '../span/span-record.js'
import { spanRecordOf, writeSpanRecord } from '../span/span-sink.js'
import type { SpanWriter } from '../span/span-sink.js'
import { arrayBatches, BatchQueue } from './batch-queue.js'
import type { BatchForm, SendBatch } from './batch-queue.js'
import { workerSendSettings } from './export-task.js'
import type { WorkerSettings } from './export-task.js'
import { createExportWorkerPool } from './export-worker-pool.js'
import type { ExportWorkerPool, ExportWorkerPoolOptions } from './export-worker-pool.js'
import { DROP_REASONS, newExportStats, registerExporterMetrics, totalDropped } from './exporter-metrics.js'
import type { BatchCounters, ExportStats } from './exporter-metrics.js'
import { createShutdownState, ShutdownSignal } from './shutdown-watch.js'
import { ProtoSpanBatch, TraceRequestFrame } from './otlp-proto-encode.js'
import type { EncodedSpanBatch } from './otlp-proto-encode.js'
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

/** A new batch buffer starts this large, then as large as the last batch needed (fewer regrowths). */
const INITIAL_BATCH_BYTES = 64 * 1024

/**
 * How spans gather on the main thread: written into protobuf batches, or, for
 * OTLP/JSON, kept as records. `write` adds one span to the open batch.
 */
interface SpanBatching {
  write<S>(source: S, writer: SpanWriter<S>): void
}

export class OtlpSpanExporter implements SpanExporter {
  private readonly stats: ExportStats = newExportStats()
  private readonly counters: BatchCounters
  private readonly queue: { queued: number; lastError: string; close(deadlineUnixMs: number): Promise<void> }
  private readonly batching: SpanBatching
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
    const queueOptions = {
      signal: 'traces' as const,
      maxQueueSize: config.maxQueueSize,
      maxExportBatchSize: config.maxExportBatchSize,
      scheduledDelayMs: config.scheduledDelayMs,
      maxConcurrentExports: Math.max(1, config.maxConcurrentExports),
    }
    if (config.protocol === 'http/protobuf') {
      const frame = new TraceRequestFrame({ resource: settings.resource, scope: settings.scope })
      let batchBytes = INITIAL_BATCH_BYTES
      const form: BatchForm<ProtoSpanBatch, EncodedSpanBatch> = {
        open: () => new ProtoSpanBatch(frame, batchBytes),
        seal: (batch) => {
          batchBytes = Math.max(INITIAL_BATCH_BYTES, batch.byteLength + (batch.byteLength >>> 3))
          return batch.seal()
        },
      }
      // Shared memory: cloned by reference, and still there to send again if the worker dies.
      const send: SendBatch<EncodedSpanBatch> = (encoded) => this.startedPool().run({ signal: 'traces', encoded })
      const queue = new BatchQueue(queueOptions, form, send, this.stats, this.counters)
      this.queue = queue
      this.batching = { write: (source, writer) => writeEncoded(queue, source, writer) }
    } else {
      const send: SendBatch<SpanRecord[]> = async (items) => {
        const packed = await packInSlices(items)
        return this.startedPool().run({ signal: 'traces', packed }, { transferList: [packed.numbers.buffer] })
      }
      const queue = new BatchQueue(queueOptions, arrayBatches<SpanRecord>(), send, this.stats, this.counters)
      this.queue = queue
      this.batching = {
        write: (source, writer) => {
          const batch = queue.reserve()
          if (batch === undefined) return
          batch.push(spanRecordOf(source, writer))
          queue.commit()
        },
      }
    }
  }

  write<S>(source: S, writer: SpanWriter<S>): void {
    this.batching.write(source, writer)
    if (!this.poolScheduled) {
      this.poolScheduled = true
      setImmediate(this.startPoolSoon)
    }
  }

  export(span: SpanRecord): void {
    this.write(span, writeSpanRecord)
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

/** One span into the open protobuf batch; a writer that throws leaves no half-written span behind. */
function writeEncoded<S>(queue: BatchQueue<ProtoSpanBatch, EncodedSpanBatch>, source: S, writer: SpanWriter<S>): void {
  const batch = queue.reserve()
  if (batch === undefined) return
  try {
    writer(source, batch.sink)
  } catch (err) {
    batch.sink.discardOpenSpan()
    throw err
  }
  batch.count++
  queue.commit()
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
