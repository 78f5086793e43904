import client from 'prom-client'
import { SpanKind } from '../span/span-record.js'
import type { Exchange, ExchangeObserver } from './exchange.js'
import { RequestDurationHistogram } from './request-duration-series.js'
import { normalizedMethod } from './span-builder.js'

/**
 * Request metrics for the admin `/metrics` endpoint. The registry speaks the
 * OpenMetrics format so that the duration histogram can carry trace-id
 * exemplars: a Prometheus user jumps from a slow bucket to a trace.
 *
 * The histogram's `_count` is the request count; labels are kept low in
 * cardinality (route template, never the raw path; status class, not code).
 */
export function createMetricsRegistry(): client.Registry<client.OpenMetricsContentType> {
  const registry = new client.Registry<client.OpenMetricsContentType>()
  registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE)
  // The event-loop lag is sampled every 100 ms, not prom-client's 10: a 10 ms
  // timer wakes an idle sidecar 100 times a second (~3 ms of CPU per second
  // measured on Node 20, 3 µs per request at 1,000 req/s), and lag
  // percentiles over a scrape interval need nowhere near that resolution.
  client.collectDefaultMetrics({ register: registry, prefix: 'tracecar_', eventLoopMonitoringPrecision: 100 })
  return registry
}

export const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Counts every proxied request. This runs on the request path for every
 * exchange, so it only adds into preallocated series and plain numbers; the
 * registry turns them into metrics when `/metrics` is scraped.
 */
export class ProxyMetrics implements ExchangeObserver {
  private readonly duration: RequestDurationHistogram
  /** Malformed trace context headers by header name (a handful of names at most). */
  private readonly invalidContext = new Map<string, number>()
  private unsampled = 0

  constructor(registry: client.Registry<client.OpenMetricsContentType>) {
    this.duration = new RequestDurationHistogram({
      name: 'tracecar_http_request_duration_seconds',
      help: 'Requests through the sidecar by direction, method, route template and status class (0xx: no response); _count is the request count.',
      buckets: REQUEST_DURATION_BUCKETS,
      registers: [registry],
    })
    const invalidContext = this.invalidContext
    new client.Counter({
      name: 'tracecar_trace_context_invalid_total',
      help: 'Requests whose incoming trace context header was malformed and was replaced by a new trace.',
      labelNames: ['header'],
      registers: [registry],
      collect() {
        this.reset()
        for (const [header, count] of invalidContext) this.inc({ header }, count)
      },
    })
    const read = (): number => this.unsampled
    new client.Counter({
      name: 'tracecar_requests_unsampled_total',
      help: 'Requests proxied and counted but not recorded as spans (sampling decision).',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  }

  onExchangeEnd(ex: Exchange): void {
    const series = this.duration.series(ex.kind === SpanKind.CLIENT ? 'outbound' : 'inbound', normalizedMethod(ex.method), ex.route, ex.statusCode)
    const value = (ex.endUnixMs - ex.startUnixMs) / 1000
    if (ex.sampled) {
      // The exemplar's time is the exchange's end, in whole milliseconds as prom-client's Date.now():
      // the instant of this observation, on the spans' clock, without reading the clock again.
      series.observeWithExemplar(value, ex.traceId, ex.spanId, Math.floor(ex.endUnixMs))
    } else {
      series.observe(value)
      this.unsampled++
    }
    if (ex.invalidContextHeader !== '') this.invalidContext.set(ex.invalidContextHeader, (this.invalidContext.get(ex.invalidContextHeader) ?? 0) + 1)
  }
}
