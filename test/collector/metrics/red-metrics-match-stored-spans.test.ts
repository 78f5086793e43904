/**
 * RED metrics of a real collector process: the rollups served by
 * /api/metrics/* match counts and quantiles computed independently from the
 * stored spans, and a real Prometheus scraping /metrics gets exemplars whose
 * trace ids are traces in the store.
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson } from '../helpers.js'
import type { JsonSpanInput } from '../helpers.js'
import { eventually, startCollectorProcess } from '../observability-process.js'
import { missingBinary, PROMETHEUS_BIN, startPrometheus } from '../prometheus-processes.js'

const BUCKET_RATIO = 2 ** 0.25

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!
}

t.test('rollups match the stored spans; Prometheus exemplars point at stored traces', async (t) => {
  const collector = await startCollectorProcess()
  t.teardown(() => collector.stop())
  const start = Date.now() - 120_000
  const traceIds: string[] = []
  // 3 batches of 200 traces: checkout (SERVER) calling payments (CLIENT + payments SERVER); some slow, some failing.
  for (let batch = 0; batch < 3; batch++) {
    const checkout: JsonSpanInput[] = []
    const payments: JsonSpanInput[] = []
    for (let i = 0; i < 200; i++) {
      const n = batch * 200 + i
      const traceId = hexId(16)
      traceIds.push(traceId)
      const root = hexId(8)
      const client = hexId(8)
      const at = start + n * 150
      const slow = n % 37 === 0
      const fail = n % 11 === 0
      const payMs = slow ? 400 + (n % 100) : 2 + ((n * 7) % 30)
      checkout.push({
        traceId,
        spanId: root,
        name: n % 2 === 0 ? 'POST /cart' : 'GET /cart',
        startMs: at,
        durationMs: payMs + 5 + (n % 3),
        status: fail ? 2 : 0,
        attributes: { 'http.response.status_code': fail ? 503 : 200 },
      })
      checkout.push({ traceId, spanId: client, parentSpanId: root, name: 'POST', kind: 3, startMs: at + 1, durationMs: payMs + 1, status: fail ? 2 : 0 })
      payments.push({ traceId, spanId: hexId(8), parentSpanId: client, name: 'POST /charge', startMs: at + 1.5, durationMs: payMs, status: fail ? 2 : 0 })
    }
    const res = await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ checkout, payments }))
    t.equal(res.status, 200)
  }

  // Independently: every stored span, read back trace by trace through the query API.
  const spans: Array<{ service: string; name: string; kind: string; durationMs: number; status: { code: string } }> = []
  for (const id of traceIds) spans.push(...(await getJson(`${collector.apiUrl}/api/traces/${id}`)).body.spans)
  t.equal(spans.length, 1800, 'all spans stored')

  const { body } = await getJson(`${collector.apiUrl}/api/metrics/services?start=${start - 60_000}&end=${Date.now() + 1000}`)
  t.equal(body.rows.length, 4, 'checkout POST /cart, GET /cart, POST (CLIENT); payments POST /charge')
  for (const row of body.rows) {
    const mine = spans.filter((s) => s.service === row.service && s.name === row.operation && s.kind === row.spanKind)
    const sorted = mine.map((s) => s.durationMs).sort((a, b) => a - b)
    t.equal(row.requests, mine.length, `${row.service} ${row.operation} ${row.spanKind}: requests`)
    t.equal(row.errorRate, mine.filter((s) => s.status.code === 'ERROR').length / mine.length, 'error rate')
    for (const [q, v] of [
      [0.5, row.p50Ms],
      [0.95, row.p95Ms],
      [0.99, row.p99Ms],
    ] as const) {
      const exact = exactQuantile(sorted, q)
      t.ok(v <= exact * BUCKET_RATIO && v >= exact / BUCKET_RATIO, `p${q * 100} ${v} ms within one bucket of the exact ${exact} ms`)
    }
  }
  const series = await getJson(`${collector.apiUrl}/api/metrics/series?service=checkout&start=${start - 60_000}&end=${Date.now() + 1000}`)
  t.equal(series.status, 200)
  const serverSpans = spans.filter((s) => s.service === 'checkout' && s.kind === 'SERVER')
  t.equal(
    series.body.points.reduce((a: number, p: { requests: number }) => a + p.requests, 0),
    serverSpans.length,
    'a service series counts its SERVER spans',
  )
  t.equal(
    series.body.points.reduce((a: number, p: { errors: number }) => a + p.errors, 0),
    serverSpans.filter((s) => s.status.code === 'ERROR').length,
  )
  const bad = await getJson(`${collector.apiUrl}/api/metrics/series?start=1`)
  t.equal(bad.status, 400)
  t.match(bad.body.error, /service is required/)

  const scrape = await fetch(`${collector.apiUrl}/metrics`)
  t.match(scrape.headers.get('content-type'), /application\/openmetrics-text/)
  const text = await scrape.text()
  t.match(text, /tracecar_span_duration_seconds_bucket\{[^}]*service="checkout"[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"/, 'buckets carry trace_id exemplars')
  t.match(text, /\n# EOF\n?$/)

  const skip = missingBinary(PROMETHEUS_BIN, 'prometheus')
  t.test('a real Prometheus scrapes the exemplars', { skip }, async (t) => {
    const prometheus = await startPrometheus(`127.0.0.1:${collector.httpPort}`)
    t.teardown(() => prometheus.stop())
    const exemplarTraceIds = await eventually(
      'Prometheus to return exemplars',
      async () => {
        const q = new URL(`${prometheus.url}/api/v1/query_exemplars`)
        q.searchParams.set('query', 'tracecar_span_duration_seconds_bucket{service="checkout"}')
        q.searchParams.set('start', String((Date.now() - 600_000) / 1000))
        q.searchParams.set('end', String((Date.now() + 60_000) / 1000))
        const r = (await (await fetch(q)).json()) as { data: Array<{ exemplars: Array<{ labels: { trace_id: string } }> }> }
        const ids = r.data.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id))
        return ids.length > 0 ? ids : undefined
      },
      90_000,
      500,
    )
    const id = exemplarTraceIds[0]!
    t.match(id, /^[0-9a-f]{32}$/)
    const trace = await getJson(`${collector.apiUrl}/api/traces/${id}`)
    t.equal(trace.status, 200, `exemplar trace ${id} opens from the store`)
    t.ok(trace.body.spans.some((s: { service: string }) => s.service === 'checkout'))
    const rate = (await (
      await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(tracecar_span_duration_seconds_count{service="payments"})')}`)
    ).json()) as { data: { result: Array<{ value: [number, string] }> } }
    t.equal(rate.data.result[0]?.value[1], '600', 'Prometheus counts the payments spans')
  })
})
