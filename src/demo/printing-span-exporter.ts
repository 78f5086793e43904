import type { ExportReport, SpanExporter } from '../span/span-exporter.js'
import type { SpanRecord } from '../span/span-record.js'

/** The demo's console view: one short line per span, so a person can watch traces form. */
export class PrintingSpanExporter implements SpanExporter {
  private count = 0

  constructor(
    private readonly serviceName: string,
    private readonly print: (line: string) => void,
    /** Spans are also handed on (to an OTLP exporter) when given. */
    private readonly next?: SpanExporter,
  ) {}

  export(span: SpanRecord): void {
    this.count++
    const ms = (span.endUnixMs - span.startUnixMs).toFixed(1).padStart(7)
    const status = String(span.attributes['http.response.status_code'] ?? '-')
    const error = span.statusCode === 2 ? `  ERROR ${String(span.attributes['error.type'] ?? '')}` : ''
    this.print(
      `${this.serviceName.padEnd(10)} ${span.name.padEnd(22)} ${status} ${ms} ms  trace ${span.traceId} span ${span.spanId}` +
        `${span.parentSpanId === '' ? ' (root)' : ` parent ${span.parentSpanId}`}${error}`,
    )
    this.next?.export(span)
  }

  async shutdown(deadlineMs: number): Promise<ExportReport> {
    if (this.next !== undefined) return this.next.shutdown(deadlineMs)
    return { exported: this.count, dropped: 0 }
  }
}
