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
import { arrayBatches } from './batch-queue.js'
import type { OtlpExportPool } from './export-worker-pool.js'
import type { ExportStats } from './exporter-metrics.js'
import { ProtoLogBatch } from './otlp-log-encode.js'
import type { LogRecordData, LogRecordExporter } from './otlp-log-record.js'
import { OtlpRequestFrame, protoBatches } from './otlp-proto-batch.js'
import type { EncodedBatch } from './otlp-proto-batch.js'
import { SignalExport } from './signal-export.js'
import type { SignalExportControl } from './signal-export.js'

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
  private readonly delivery: SignalExportControl
  /** Adds one record to the open batch: written into a protobuf batch, or, for OTLP/JSON, kept as it is. */
  private readonly add: (record: LogRecordData) => void

  constructor(options: OtlpLogExporterOptions) {
    const { config, pool } = options
    const common = {
      signal: 'logs' as const,
      config,
      registry: options.registry,
      pool,
      scope: ACCESS_LOG_SCOPE,
      names: { exporter: 'access log OTLP exporter', items: 'log records' },
      log: options.log,
    }
    if (pool.protocol === 'http/protobuf') {
      const frame = new OtlpRequestFrame({ resource: pool.resource, scope: ACCESS_LOG_SCOPE })
      const delivery = new SignalExport<ProtoLogBatch, EncodedBatch>({
        ...common,
        batches: (channel) => protoBatches((memory) => new ProtoLogBatch(frame, memory), channel),
      })
      this.delivery = delivery
      this.add = recordAdder(delivery, (batch, record) => batch.add(record))
    } else {
      const delivery = new SignalExport<LogRecordData[], LogRecordData[]>({
        ...common,
        batches: (channel) => ({ form: arrayBatches<LogRecordData>(), send: (records) => channel.run({ signal: 'logs', records }) }),
      })
      this.delivery = delivery
      this.add = recordAdder(delivery, (batch, record) => batch.push(record))
    }
  }

  export(record: LogRecordData): void {
    this.add(record)
  }

  snapshot(): Readonly<ExportStats> & { queued: number } {
    return this.delivery.snapshot()
  }

  /**
   * Flushes for at most `deadlineMs`, releases the pool (its workers stop
   * once the span exporter is done with them too), logs one summary line.
   */
  shutdown(deadlineMs: number): Promise<{ exported: number; dropped: number }> {
    return this.delivery.shutdown(deadlineMs)
  }
}

/**
 * Adds one record to the open batch with `put`, or drops it (counted) when the
 * queue is full. Made once per exporter: nothing is allocated per record.
 */
function recordAdder<O, B>(delivery: SignalExport<O, B>, put: (batch: O, record: LogRecordData) => void): (record: LogRecordData) => void {
  return (record) => {
    const batch = delivery.reserve()
    if (batch === undefined) return
    put(batch, record)
    delivery.commit()
  }
}
