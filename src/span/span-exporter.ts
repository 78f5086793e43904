import type { SpanRecord } from './span-record.js'
import { spanRecordOf } from './span-sink.js'
import type { SpanWriter } from './span-sink.js'

/** What a flush at shutdown achieved; logged once by the caller. */
export interface ExportReport {
  exported: number
  dropped: number
}

/**
 * Where finished spans go. The proxy calls `export` on the request path, so an
 * implementation must return at once, never throw and never wait on I/O: it
 * queues, and drops (counting the drop) when its queue is full.
 */
export interface SpanExporter {
  /**
   * Records the span `writer` describes for `source`, calling it at once (or
   * not at all when the span is dropped). The proxy's path: the OTLP exporter
   * has it write straight into its protobuf batch, with no SpanRecord built.
   */
  write<S>(source: S, writer: SpanWriter<S>): void
  /** Records a span already built as a record (same as `write(span, writeSpanRecord)`). */
  export(span: SpanRecord): void
  /** Send what is queued, giving up at the deadline; then release resources. */
  shutdown(deadlineMs: number): Promise<ExportReport>
}

/** Keeps spans in memory: for tests and for `exporter: none` with a peek. */
export class MemorySpanExporter implements SpanExporter {
  readonly spans: SpanRecord[] = []
  private waiters: Array<{ count: number; resolve: () => void }> = []

  write<S>(source: S, writer: SpanWriter<S>): void {
    this.export(spanRecordOf(source, writer))
  }

  export(span: SpanRecord): void {
    this.spans.push(span)
    this.waiters = this.waiters.filter((w) => {
      if (this.spans.length < w.count) return true
      w.resolve()
      return false
    })
  }

  /** Resolves once at least `count` spans have been exported. */
  waitFor(count: number): Promise<void> {
    if (this.spans.length >= count) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ count, resolve }))
  }

  async shutdown(): Promise<ExportReport> {
    return { exported: this.spans.length, dropped: 0 }
  }
}
