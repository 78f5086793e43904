import t from 'tap'
import { SpanMetricsExporter } from '../../../src/collector/metrics/span-metrics-exporter.js'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'

function span(name: string, error = false): StoredSpan {
  return {
    traceId: 'ab'.repeat(16),
    spanId: 'cd'.repeat(8),
    parentSpanId: null,
    name,
    kind: 'SERVER',
    service: 'cart',
    startTimeUnixMs: 0,
    endTimeUnixMs: 12,
    durationMs: 12,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    traceState: '',
    status: { code: error ? 'ERROR' : 'UNSET', message: '' },
    attributes: { 'http.response.status_code': error ? 500 : 200 },
    resource: {},
    scope: { name: '', version: '' },
    events: [],
    links: [],
  }
}

t.test('OpenMetrics text: exemplars with trace ids, label escaping, and a cap on runaway operation names', async (t) => {
  const e = new SpanMetricsExporter(3)
  e.observe([span('GET /a'), span('GET /b', true), span('say "hi"\\now'), span('GET /user/1'), span('GET /user/2'), span('GET /a')])
  const text = await e.metrics()
  t.match(e.contentType, /application\/openmetrics-text/)
  t.match(text, /tracecar_span_duration_seconds_count\{service="cart",operation="GET \/a",span_kind="SERVER",status_class="2xx"\} 2/)
  t.match(
    text,
    /tracecar_span_duration_seconds_bucket\{le="0\.025",service="cart",operation="GET \/a",span_kind="SERVER",status_class="2xx"\} 2 # \{trace_id="(ab){16}",span_id="(cd){8}"\} 0\.012/,
  )
  t.match(text, /tracecar_span_errors_total\{service="cart",operation="GET \/b",span_kind="SERVER"\} 1 # \{trace_id="(ab){16}"/)
  t.match(text, /operation="say \\"hi\\"\\\\now"/, 'quotes and backslashes escaped')
  t.match(
    text,
    /tracecar_span_duration_seconds_count\{service="cart",operation="other",span_kind="SERVER",status_class="2xx"\} 2/,
    'past 3 series new names count as other',
  )
  t.notMatch(text, /GET \/user/)
})
