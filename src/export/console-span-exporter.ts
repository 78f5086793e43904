/**
 * `exporter.type: console`: each span as one JSON line on stderr (or a file),
 * for debugging. It stringifies on the main thread, which the OTLP exporter
 * never does, so it is not for production load; writes go through an
 * asynchronous sonic-boom destination so they never block a request.
 */
import { createRequire } from 'node:module'
import type pino from 'pino'
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExportReport, SpanExporter } from '../span/span-exporter.js'
import type { SpanRecord } from '../span/span-record.js'
import { spanRecordOf } from '../span/span-sink.js'
import type { SpanWriter } from '../span/span-sink.js'
import { newExportStats, registerExporterMetrics } from './exporter-metrics.js'

export interface ConsoleSpanExporterOptions {
  /** A file descriptor or a file path; default 2 (stderr). */
  destination?: number | string
  registry?: Registry<RegistryContentType>
}

export class ConsoleSpanExporter implements SpanExporter {
  private readonly stats = newExportStats()
  private readonly destination: ReturnType<typeof pino.destination>
  private readonly ownsDestination: boolean
  private closed = false

  constructor(options: ConsoleSpanExporterOptions = {}) {
    const dest = options.destination ?? 2
    // Loaded here, not at import: only `exporter.type: console` needs pino's
    // destination, and every sidecar imports this module (~1.5 MiB at start-up).
    const { destination } = createRequire(import.meta.url)('pino') as typeof pino
    this.destination = destination({ dest, sync: false })
    this.ownsDestination = typeof dest === 'string'
    if (options.registry !== undefined) registerExporterMetrics(options.registry, 'traces', this.stats, () => 0)
  }

  write<S>(source: S, writer: SpanWriter<S>): void {
    this.export(spanRecordOf(source, writer))
  }

  export(span: SpanRecord): void {
    this.stats.received++
    if (this.closed) {
      this.stats.dropped.shutdown++
      return
    }
    this.destination.write(`${JSON.stringify(span)}\n`)
    this.stats.exported++
  }

  async shutdown(deadlineMs: number): Promise<ExportReport> {
    if (!this.closed) {
      this.closed = true
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadlineMs))
        timer.unref()
        const done = (): void => {
          clearTimeout(timer)
          resolve()
        }
        // Flush what is buffered; close the file if we opened it.
        if (!this.ownsDestination) this.destination.flush(done)
        else {
          this.destination.once('close', done)
          this.destination.end()
        }
      })
    }
    return { exported: this.stats.exported, dropped: this.stats.dropped.shutdown }
  }
}
