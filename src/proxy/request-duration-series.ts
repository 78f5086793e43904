import client from 'prom-client'

/**
 * The request duration histogram, kept in preallocated series and rendered at
 * scrape time.
 *
 * prom-client's `Histogram.observe` with labels and exemplars builds a label
 * hash string, validates labels and allocates an exemplar object on every
 * call: about a microsecond and some garbage per request on the main thread.
 * Here a request finds its series with two Map lookups (method, route: both
 * bounded, by the known methods and the configured routes) and an array
 * index, then adds into a Float64Array and stores the exemplar's trace id,
 * span id, value and time in slots of that bucket: nothing is allocated once
 * the series exists.
 *
 * The object registers itself in a prom-client Registry as a metric and
 * answers `get()` / `getForPromString()` in the shape prom-client's Histogram
 * does, so `registry.metrics()` prints the same lines prom-client would for the
 * same observations: series in the order they were first observed, labels
 * `le` first then direction, method, route, status_class, cumulative buckets,
 * and on a bucket the last sampled request that fell into it (not cumulative)
 * as an OpenMetrics exemplar `# {trace_id="…",span_id="…"} <value> <seconds>`.
 */

export type RequestDirection = 'inbound' | 'outbound'

/** Status classes by `Math.floor(status / 100)`; anything else (600 and up) is 'other'. */
export const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const
const OTHER_STATUS_CLASS = STATUS_CLASSES.length - 1

export function statusClassIndex(statusCode: number): number {
  const index = Math.floor(statusCode / 100)
  return index >= 0 && index < OTHER_STATUS_CLASS ? index : OTHER_STATUS_CLASS
}

type LabelName = 'direction' | 'method' | 'route' | 'status_class'
type SeriesLabels = Record<LabelName, string>

interface ExemplarOut {
  labelSet: { trace_id: string; span_id: string }
  value: number
  timestamp: number
}

/** One value line as prom-client's Registry reads it. */
interface ValueOut {
  labels: Record<string, string | number>
  sharedLabels?: SeriesLabels
  value: number
  metricName: string
  exemplar: ExemplarOut | null | undefined
}

/** One label set: bucket counts, sum and count, and an exemplar slot per bucket. */
export class DurationSeries {
  /**
   * [0, buckets) the observations per bucket (not cumulative), then the
   * overflow (above the last bound), the sum and the count.
   */
  readonly values: Float64Array
  /** Per bucket and overflow: the last sampled observation ('' trace id: none yet). */
  readonly exemplarTraceIds: string[]
  readonly exemplarSpanIds: string[]
  readonly exemplarValues: Float64Array
  /** Whole epoch milliseconds, as prom-client takes them (`Date.now()`); printed in seconds. */
  readonly exemplarTimesMs: Float64Array

  constructor(
    readonly labels: SeriesLabels,
    /** Upper bounds, ascending: a typed array so that the bucket search reads raw doubles. */
    private readonly bounds: Float64Array,
  ) {
    const slots = bounds.length + 1
    this.values = new Float64Array(slots + 2)
    this.exemplarTraceIds = new Array<string>(slots).fill('')
    this.exemplarSpanIds = new Array<string>(slots).fill('')
    this.exemplarValues = new Float64Array(slots)
    this.exemplarTimesMs = new Float64Array(slots)
  }

  /** Adds one observation; returns its bucket slot (bounds.length: above every bound). */
  observe(value: number): number {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`)
    const bounds = this.bounds
    let slot = 0
    const last = bounds.length
    while (slot < last && value > bounds[slot]!) slot++
    const values = this.values
    values[slot]!++
    values[last + 1]! += value
    values[last + 2]!++
    return slot
  }

  /** Adds one observation of a sampled request and makes it its bucket's exemplar. */
  observeWithExemplar(value: number, traceId: string, spanId: string, nowMs: number): void {
    const slot = this.observe(value)
    this.exemplarTraceIds[slot] = traceId
    this.exemplarSpanIds[slot] = spanId
    this.exemplarValues[slot] = value
    this.exemplarTimesMs[slot] = nowMs
  }

  get sum(): number {
    return this.values[this.bounds.length + 1]!
  }

  get count(): number {
    return this.values[this.bounds.length + 2]!
  }

  exemplar(slot: number): ExemplarOut | null {
    const traceId = this.exemplarTraceIds[slot]!
    if (traceId === '') return null
    return {
      labelSet: { trace_id: traceId, span_id: this.exemplarSpanIds[slot]! },
      value: this.exemplarValues[slot]!,
      timestamp: this.exemplarTimesMs[slot]! / 1000,
    }
  }
}

export interface RequestDurationHistogramConfig {
  name: string
  help: string
  buckets: readonly number[]
  registers: ReadonlyArray<client.Registry<client.OpenMetricsContentType>>
}

/**
 * A histogram labelled direction, method, route and status_class whose
 * observations cost a few array writes. `method` and `route` must come from
 * bounded sets (normalized method, route template): every distinct value
 * keeps its series for the life of the process, as with prom-client.
 */
export class RequestDurationHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  private readonly bounds: Float64Array
  /** Method → small index, so that a route's series sit in one array. */
  private readonly methodIndex = new Map<string, number>()
  /** Route → series by `(method index * 2 + direction) * status classes + status class`. */
  private routes = new Map<string, Array<DurationSeries | undefined>>()
  /** Every series in the order it was first observed: prom-client prints them so. */
  private ordered: DurationSeries[] = []

  constructor(config: RequestDurationHistogramConfig) {
    this.name = config.name
    this.help = config.help
    this.bounds = Float64Array.from(config.buckets)
    for (const registry of config.registers) {
      // The registry reads a metric through get()/getForPromString(); prom-client types only its own classes.
      registry.registerMetric(this as unknown as client.Metric)
    }
  }

  /** The series of one label set, created on its first request. */
  series(direction: RequestDirection, method: string, route: string, statusCode: number): DurationSeries {
    let methodIndex = this.methodIndex.get(method)
    if (methodIndex === undefined) {
      methodIndex = this.methodIndex.size
      this.methodIndex.set(method, methodIndex)
    }
    let byKey = this.routes.get(route)
    if (byKey === undefined) {
      byKey = []
      this.routes.set(route, byKey)
    }
    const statusClass = statusClassIndex(statusCode)
    const key = (methodIndex * 2 + (direction === 'outbound' ? 1 : 0)) * STATUS_CLASSES.length + statusClass
    let series = byKey[key]
    if (series === undefined) {
      series = new DurationSeries({ direction, method, route, status_class: STATUS_CLASSES[statusClass]! }, this.bounds)
      while (byKey.length < key) byKey.push(undefined)
      byKey[key] = series
      this.ordered.push(series)
    }
    return series
  }

  /** prom-client's Histogram.get(): the series with their labels merged into every value. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; values: ValueOut[]; aggregator: 'sum' }> {
    const data = await this.getForPromString()
    for (const value of data.values) {
      value.labels = Object.assign(value.labels, value.sharedLabels)
      delete value.sharedLabels
    }
    return data
  }

  /** What the Registry prints: the series' labels as shared labels (formatted once per series). */
  async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: ValueOut[]; aggregator: 'sum' }> {
    const bucketName = `${this.name}_bucket`
    const sumName = `${this.name}_sum`
    const countName = `${this.name}_count`
    const bounds = this.bounds
    const values: ValueOut[] = []
    for (const series of this.ordered) {
      const shared = series.labels
      let cumulative = 0
      for (let slot = 0; slot < bounds.length; slot++) {
        cumulative += series.values[slot]!
        values.push({ labels: { le: bounds[slot]! }, sharedLabels: shared, value: cumulative, metricName: bucketName, exemplar: series.exemplar(slot) })
      }
      const overflow = series.exemplar(bounds.length)
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: shared, value: series.count, metricName: bucketName, exemplar: overflow ?? undefined },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: sumName, exemplar: undefined },
        { labels: {}, sharedLabels: shared, value: series.count, metricName: countName, exemplar: undefined },
      )
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }

  /** Registry.resetMetrics(): forget every series. */
  reset(): void {
    this.routes = new Map()
    this.ordered = []
  }
}
