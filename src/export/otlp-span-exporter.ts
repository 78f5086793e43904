/**
 * The production SpanExporter. With OTLP protobuf (the default) each span is
 * written straight into the open batch's protobuf buffer on the main thread
 * when its exchange ends (no span object, no packing); a sealed batch is a
 * complete request body in shared memory that a worker of the export pool
 * (export-worker-pool.ts, shared with the log exporter) compresses and POSTs. With OTLP/JSON, records are queued and packed for the worker, which
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
import { arrayBatches } from './batch-queue.js'
import { OtlpExportPool } from './export-worker-pool.js'
import type { ExportStats } from './exporter-metrics.js'
import { OtlpRequestFrame, protoBatches } from './otlp-proto-batch.js'
import type { EncodedBatch } from './otlp-proto-batch.js'
import { ProtoSpanBatch } from './otlp-proto-encode.js'
import { SignalExport } from './signal-export.js'
import type { SignalExportControl } from './signal-export.js'
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
  /** Queue and batch sizes; with no `pool`, also the settings of the exporter's own pool. */
  config: ExporterConfig
  /** The resource of the exporter's own pool (with `pool`, that pool's resource is used). */
  resource: ResourceAttributes
  registry: Registry<RegistryContentType>
  log: ExporterLog
  /**
   * The process's export pool, shared with the log exporter (the CLI creates
   * it once). Without one the exporter creates its own, destroyed at its shutdown.
   */
  pool?: OtlpExportPool
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
  private readonly pool: OtlpExportPool
  private readonly delivery: SignalExportControl
  /** Adds one span to the open batch: encoded into a protobuf batch, or, for OTLP/JSON, kept as a record. */
  private readonly add: <S>(source: S, writer: SpanWriter<S>) => void

  constructor(options: OtlpSpanExporterOptions) {
    const { config } = options
    this.pool = options.pool ?? new OtlpExportPool({ config, resource: options.resource })
    const scope = { name: 'tracecar', version: packageVersion }
    const common = {
      signal: 'traces' as const,
      config,
      registry: options.registry,
      pool: this.pool,
      scope,
      names: { exporter: 'span exporter', items: 'spans' },
      log: options.log,
    }
    if (this.pool.protocol === 'http/protobuf') {
      const frame = new OtlpRequestFrame({ resource: this.pool.resource, scope })
      const delivery = new SignalExport<ProtoSpanBatch, EncodedBatch>({
        ...common,
        batches: (channel) => protoBatches((memory) => new ProtoSpanBatch(frame, memory), channel),
      })
      this.delivery = delivery
      this.add = (source, writer) => writeEncoded(delivery, source, writer)
    } else {
      const delivery = new SignalExport<SpanRecord[], SpanRecord[]>({
        ...common,
        batches: (channel) => ({
          form: arrayBatches<SpanRecord>(),
          send: async (items) => {
            const packed = await packInSlices(items)
            return channel.run({ signal: 'traces', packed }, [packed.numbers.buffer as ArrayBuffer])
          },
        }),
      })
      this.delivery = delivery
      this.add = (source, writer) => {
        const batch = delivery.reserve()
        if (batch === undefined) return
        batch.push(spanRecordOf(source, writer))
        delivery.commit()
      }
    }
  }

  write<S>(source: S, writer: SpanWriter<S>): void {
    this.add(source, writer)
  }

  export(span: SpanRecord): void {
    this.add(span, writeSpanRecord)
  }

  /**
   * Flushes what is queued for at most `deadlineMs` milliseconds from now,
   * then releases the pool (its workers stop when no other signal uses them).
   * Spans not delivered by then are counted as dropped. Logs one summary
   * line. Calling it again returns the same report.
   */
  shutdown(deadlineMs: number): Promise<ExportReport> {
    return this.delivery.shutdown(deadlineMs)
  }

  /** Running totals, as also exposed on the metrics. */
  snapshot(): Readonly<ExportStats> & { queued: number } {
    return this.delivery.snapshot()
  }

  /** The pool's worker threads (shared with the log exporter), for diagnostics and crash tests. */
  get workerThreads(): readonly Worker[] {
    return this.pool.threads
  }
}

/** One span into the open protobuf batch; a writer that throws leaves no half-written span behind. */
function writeEncoded<S>(delivery: SignalExport<ProtoSpanBatch, EncodedBatch>, source: S, writer: SpanWriter<S>): void {
  const batch = delivery.reserve()
  if (batch === undefined) return
  try {
    writer(source, batch.sink)
  } catch (err) {
    batch.sink.discardOpenSpan()
    throw err
  }
  batch.count++
  delivery.commit()
}

export function createOtlpSpanExporter(options: OtlpSpanExporterOptions): OtlpSpanExporter {
  return new OtlpSpanExporter(options)
}
