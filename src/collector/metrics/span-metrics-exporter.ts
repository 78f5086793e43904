/**
 * RED metrics of the ingested spans in Prometheus form, served at /metrics
 * in the OpenMetrics format so each histogram bucket and error counter can
 * carry an exemplar with the trace_id of a span it counted: Prometheus (with
 * `--enable-feature=exemplar-storage`) then answers /api/v1/query_exemplars
 * with trace ids that open in the tracecar UI.
 *
 * Written by hand rather than through prom-client: this runs for every
 * ingested span, and prom-client's `observe` with exemplars hashed the label
 * object and built an exemplar per call, about half of the RED listener's
 * CPU. Here a span is a nested-map lookup (the series of its service,
 * operation and kind found without building a string), a bucket search and a
 * few array writes; the text is built only when scraped. The output is what
 * prom-client produced (same names, labels, buckets and exemplar syntax).
 *
 * These are process-lifetime counters, as Prometheus expects; the stored
 * rollups (the store's RedRollupStore) are what survives a restart.
 */
import type { MeasuredSpan } from './measured-span.js'
import { isErrorSpan, statusClassOf } from './red-rollup.js'

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** Upper bounds in seconds; a +Inf bucket follows. */
export const DURATION_BUCKETS_S: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** Beyond this many (service, operation, kind) label sets new operations are counted as operation="other". */
const DEFAULT_MAX_SERIES = 5000

const DURATION_NAME = 'tracecar_span_duration_seconds'
const DURATION_HELP =
  'Duration of the spans received by the collector, by service, operation (span name), span kind and status class; _count is the request rate, exemplars carry trace_id.'
const ERRORS_NAME = 'tracecar_span_errors'
const ERRORS_HELP = 'Spans received with status ERROR, by service, operation and span kind; exemplars carry trace_id.'

/** The latest span counted somewhere, kept as its exemplar (no object per span: parallel arrays). */
class Exemplars {
  readonly traceIds: string[]
  readonly spanIds: string[]
  readonly values: Float64Array
  readonly timesMs: Float64Array

  constructor(size: number) {
    this.traceIds = new Array<string>(size).fill('')
    this.spanIds = new Array<string>(size).fill('')
    this.values = new Float64Array(size)
    this.timesMs = new Float64Array(size)
  }

  set(i: number, traceId: string, spanId: string, value: number, timeMs: number): void {
    this.traceIds[i] = traceId
    this.spanIds[i] = spanId
    this.values[i] = value
    this.timesMs[i] = timeMs
  }

  render(i: number): string {
    if (this.traceIds[i] === '') return ''
    return ` # {trace_id="${this.traceIds[i]}",span_id="${this.spanIds[i]}"} ${this.values[i]} ${this.timesMs[i]! / 1000}`
  }
}

interface DurationSeries {
  /** `service="..",operation="..",span_kind="..",status_class=".."`, escaped once. */
  labels: string
  /** Per bucket (not cumulative); the last is +Inf. */
  counts: Float64Array
  sum: number
  count: number
  exemplars: Exemplars
}

interface ErrorSeries {
  labels: string
  count: number
  exemplars: Exemplars
}

/** The series of one (service, operation label, kind), what a span's lookup finds. */
interface OperationSeries {
  service: string
  /** The operation label: the span name, or 'other' past the cap. */
  operation: string
  kind: string
  /** status class → series. */
  byStatus: Map<string, DurationSeries>
  /** Made with the first failing span. */
  errors: ErrorSeries | undefined
}

/** OpenMetrics label value escaping: backslash, double quote, newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

function nested<V>(map: Map<string, Map<string, V>>, a: string): Map<string, V> {
  let inner = map.get(a)
  if (inner === undefined) map.set(a, (inner = new Map<string, V>()))
  return inner
}

export class SpanMetricsExporter {
  /** service → span name → span kind → its series (under its own name, or 'other' past the cap). */
  private readonly known = new Map<string, Map<string, Map<string, OperationSeries>>>()
  private series = 0
  /** `service\0operationLabel\0kind` → series, in the order first seen (the order scraped). */
  private readonly durations = new Map<string, OperationSeries>()
  /** The same keys, for the series that have errors, in the order of their first error. */
  private readonly errors = new Map<string, ErrorSeries>()

  constructor(private readonly maxSeries = DEFAULT_MAX_SERIES) {}

  private operationSeries(service: string, operation: string, kind: string): OperationSeries {
    const known = this.known.get(service)?.get(operation)?.get(kind)
    if (known !== undefined) return known
    // Past the cap nothing is remembered, so runaway span names cannot grow memory either.
    const capped = this.series >= this.maxSeries
    const label = capped ? 'other' : operation
    const key = `${service}\u0000${label}\u0000${kind}`
    let s = this.durations.get(key)
    if (s === undefined) {
      s = { service, operation: label, kind, byStatus: new Map(), errors: undefined }
      this.durations.set(key, s)
    }
    if (!capped) {
      this.series++
      nested(nested(this.known, service), operation).set(kind, s)
    }
    return s
  }

  observe(spans: readonly MeasuredSpan[]): void {
    const nowMs = Date.now()
    for (const span of spans) this.observeSpan(span, statusClassOf(span), isErrorSpan(span), nowMs)
  }

  /** One span whose status class and error flag the caller has (the RED listener computes them once for the rollups too). */
  observeSpan(span: MeasuredSpan, statusClass: string, error: boolean, nowMs: number): void {
    const s = this.operationSeries(span.service, span.name, span.kind)
    let d = s.byStatus.get(statusClass)
    if (d === undefined) {
      d = {
        labels: `service="${escapeLabel(s.service)}",operation="${escapeLabel(s.operation)}",span_kind="${escapeLabel(s.kind)}",status_class="${escapeLabel(statusClass)}"`,
        counts: new Float64Array(DURATION_BUCKETS_S.length + 1),
        sum: 0,
        count: 0,
        exemplars: new Exemplars(DURATION_BUCKETS_S.length + 1),
      }
      s.byStatus.set(statusClass, d)
    }
    const seconds = Math.max(0, span.durationMs) / 1000
    let i = 0
    while (i < DURATION_BUCKETS_S.length && seconds > DURATION_BUCKETS_S[i]!) i++
    d.counts[i]! += 1
    d.sum += seconds
    d.count++
    d.exemplars.set(i, span.traceId, span.spanId, seconds, nowMs)
    if (error) {
      let e = s.errors
      if (e === undefined) {
        e = {
          labels: `service="${escapeLabel(s.service)}",operation="${escapeLabel(s.operation)}",span_kind="${escapeLabel(s.kind)}"`,
          count: 0,
          exemplars: new Exemplars(1),
        }
        s.errors = e
        this.errors.set(`${s.service}\u0000${s.operation}\u0000${s.kind}`, e)
      }
      e.count++
      e.exemplars.set(0, span.traceId, span.spanId, 1, nowMs)
    }
  }

  /** The OpenMetrics text (ends with `# EOF`). */
  metrics(): Promise<string> {
    const out: string[] = [`# HELP ${DURATION_NAME} ${DURATION_HELP}`, `# TYPE ${DURATION_NAME} histogram`]
    for (const s of this.durations.values()) {
      for (const d of s.byStatus.values()) {
        let cumulative = 0
        for (let i = 0; i <= DURATION_BUCKETS_S.length; i++) {
          cumulative += d.counts[i]!
          const le = i < DURATION_BUCKETS_S.length ? String(DURATION_BUCKETS_S[i]) : '+Inf'
          out.push(`${DURATION_NAME}_bucket{le="${le}",${d.labels}} ${cumulative}${d.exemplars.render(i)}`)
        }
        out.push(`${DURATION_NAME}_sum{${d.labels}} ${d.sum}`, `${DURATION_NAME}_count{${d.labels}} ${d.count}`)
      }
    }
    out.push(`# HELP ${ERRORS_NAME} ${ERRORS_HELP}`, `# TYPE ${ERRORS_NAME} counter`)
    for (const e of this.errors.values()) out.push(`${ERRORS_NAME}_total{${e.labels}} ${e.count}${e.exemplars.render(0)}`)
    out.push('# EOF', '')
    return Promise.resolve(out.join('\n'))
  }

  get contentType(): string {
    return OPENMETRICS_CONTENT_TYPE
  }
}
