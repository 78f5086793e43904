import client from 'prom-client'
import type { Exchange, ExchangeObserver } from './exchange.js'
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
  client.collectDefaultMetrics({ register: registry, prefix: 'tracecar_' })
  return registry
}

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx']

export class ProxyMetrics implements ExchangeObserver {
  private readonly duration: client.Histogram<'direction' | 'method' | 'route' | 'status_class'>
  private readonly invalidContext: client.Counter<'header'>
  private readonly unsampled: client.Counter

  constructor(registry: client.Registry<client.OpenMetricsContentType>) {
    this.duration = new client.Histogram({
      name: 'tracecar_http_request_duration_seconds',
      help: 'Requests through the sidecar by direction, method, route template and status class (0xx: no response); _count is the request count.',
      labelNames: ['direction', 'method', 'route', 'status_class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      enableExemplars: true,
      registers: [registry],
    })
    this.invalidContext = new client.Counter({
      name: 'tracecar_trace_context_invalid_total',
      help: 'Requests whose incoming trace context header was malformed and was replaced by a new trace.',
      labelNames: ['header'],
      registers: [registry],
    })
    this.unsampled = new client.Counter({
      name: 'tracecar_requests_unsampled_total',
      help: 'Requests proxied and counted but not recorded as spans (sampling decision).',
      registers: [registry],
    })
  }

  onExchangeEnd(ex: Exchange): void {
    const labels = {
      direction: ex.kind === 3 ? 'outbound' : 'inbound',
      method: normalizedMethod(ex.method),
      route: ex.route,
      status_class: STATUS_CLASSES[Math.floor(ex.statusCode / 100)] ?? 'other',
    }
    const value = (ex.endUnixMs - ex.startUnixMs) / 1000
    if (ex.sampled) {
      // prom-client types exemplar labels with the metric's label names; OpenMetrics allows any.
      const exemplarLabels = { trace_id: ex.traceId, span_id: ex.spanId } as unknown as typeof labels
      this.duration.observe({ labels, value, exemplarLabels })
    } else {
      // With exemplars enabled prom-client only takes the object form.
      this.duration.observe({ labels, value })
      this.unsampled.inc()
    }
    if (ex.invalidContextHeader !== '') this.invalidContext.inc({ header: ex.invalidContextHeader })
  }
}
