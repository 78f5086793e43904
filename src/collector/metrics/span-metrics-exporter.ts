/**
 * RED metrics of the ingested spans in Prometheus form, served at /metrics
 * in the OpenMetrics format so each histogram bucket and error counter can
 * carry an exemplar with the trace_id of a span it counted: Prometheus (with
 * `--enable-feature=exemplar-storage`) then answers /api/v1/query_exemplars
 * with trace ids that open in the tracecar UI.
 *
 * These are process-lifetime counters, as Prometheus expects; the stored
 * rollups (red-rollup-store.ts) are what survives a restart.
 */
import client from 'prom-client'
import type { StoredSpan } from '../model/stored-span.js'
import { isErrorSpan, statusClassOf } from './red-rollup.js'

type Labels = 'service' | 'operation' | 'span_kind' | 'status_class'

/** Beyond this many label sets new operations are counted as operation="other" (runaway span names). */
const DEFAULT_MAX_SERIES = 5000

export class SpanMetricsExporter {
  readonly registry: client.Registry<client.OpenMetricsContentType>
  private readonly duration: client.Histogram<Labels>
  private readonly errorsTotal: client.Counter<'service' | 'operation' | 'span_kind'>
  /** service → operation → span kind → the operation label to use (itself, or 'other' past the cap). */
  private readonly labels = new Map<string, Map<string, Map<string, string>>>()
  private series = 0

  constructor(private readonly maxSeries = DEFAULT_MAX_SERIES) {
    this.registry = new client.Registry<client.OpenMetricsContentType>()
    this.registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE)
    this.duration = new client.Histogram({
      name: 'tracecar_span_duration_seconds',
      help: 'Duration of the spans received by the collector, by service, operation (span name), span kind and status class; _count is the request rate, exemplars carry trace_id.',
      labelNames: ['service', 'operation', 'span_kind', 'status_class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      enableExemplars: true,
      registers: [this.registry],
    })
    this.errorsTotal = new client.Counter({
      name: 'tracecar_span_errors',
      help: 'Spans received with status ERROR, by service, operation and span kind; exemplars carry trace_id.',
      labelNames: ['service', 'operation', 'span_kind'],
      enableExemplars: true,
      registers: [this.registry],
    })
  }

  private operationLabel(service: string, operation: string, kind: string): string {
    // Nested maps: no key string is built per span (this runs for every ingested span).
    const known = this.labels.get(service)?.get(operation)?.get(kind)
    if (known !== undefined) return known
    // Past the cap nothing is remembered, so runaway span names cannot grow memory either.
    if (this.series >= this.maxSeries) return 'other'
    this.series++
    let byOperation = this.labels.get(service)
    if (byOperation === undefined) this.labels.set(service, (byOperation = new Map()))
    let byKind = byOperation.get(operation)
    if (byKind === undefined) byOperation.set(operation, (byKind = new Map()))
    byKind.set(kind, operation)
    return operation
  }

  observe(spans: readonly StoredSpan[]): void {
    for (const span of spans) {
      const operation = this.operationLabel(span.service, span.name, span.kind)
      const labels = { service: span.service, operation, span_kind: span.kind, status_class: statusClassOf(span) }
      // prom-client types exemplar labels with the metric's label names; OpenMetrics allows any.
      const exemplarLabels = { trace_id: span.traceId, span_id: span.spanId } as unknown as typeof labels
      this.duration.observe({ labels, value: Math.max(0, span.durationMs) / 1000, exemplarLabels })
      if (isErrorSpan(span)) {
        const errorLabels = { service: span.service, operation, span_kind: span.kind }
        this.errorsTotal.inc({ labels: errorLabels, value: 1, exemplarLabels: exemplarLabels as unknown as typeof errorLabels })
      }
    }
  }

  metrics(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}
