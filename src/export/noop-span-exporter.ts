/**
 * `exporter.type: none`: spans are counted (tracecar_exporter_spans_received_total)
 * and discarded. Tracing still runs (ids, headers, access logs); nothing is sent.
 */
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExportReport, SpanExporter } from '../span/span-exporter.js'
import type { SpanRecord } from '../span/span-record.js'
import type { SpanWriter } from '../span/span-sink.js'
import { newExportStats, registerExporterMetrics } from './exporter-metrics.js'

export class NoopSpanExporter implements SpanExporter {
  private readonly stats = newExportStats()

  constructor(registry?: Registry<RegistryContentType>) {
    if (registry !== undefined) registerExporterMetrics(registry, 'traces', this.stats, () => 0)
  }

  /** Spans handed over so far. */
  get received(): number {
    return this.stats.received
  }

  write<S>(_source: S, _writer: SpanWriter<S>): void {
    this.stats.received++
  }

  export(_span: SpanRecord): void {
    this.stats.received++
  }

  async shutdown(_deadlineMs: number): Promise<ExportReport> {
    return { exported: 0, dropped: 0 }
  }
}
