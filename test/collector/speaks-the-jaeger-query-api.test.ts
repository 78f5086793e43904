/**
 * The Jaeger-shaped endpoints under /api/jaeger return what Jaeger's query
 * service returns (the envelope, processes, references, µs times, typed tags),
 * so Grafana's Jaeger data source and other Jaeger clients can read tracecar.
 */
import t, { type Test } from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const jaeger = `${collector.apiUrl}/api/jaeger`
const T0 = Date.now() - 10_000
const traceId = hexId(16)
const root = hexId(8)
const child = hexId(8)

t.before(async () => {
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({
      web: [
        {
          traceId,
          spanId: root,
          name: 'GET /',
          kind: 2,
          startMs: T0,
          durationMs: 40.5,
          attributes: { 'http.response.status_code': 200, 'app.ratio': 0.5, 'app.flag': true },
        },
      ],
      api: [{ traceId, spanId: child, parentSpanId: root, name: 'GET /items', kind: 2, startMs: T0 + 5, durationMs: 30, status: 2 }],
    }),
  )
  if (res.status !== 200) throw new Error(`ingest failed ${res.status}`)
})

function isEnvelope(t: Test, body: Record<string, unknown>): void {
  t.same(Object.keys(body).sort(), ['data', 'errors', 'limit', 'offset', 'total'])
}

t.test('services and operations', async (t) => {
  const services = await getJson(`${jaeger}/api/services`)
  isEnvelope(t, services.body)
  t.same(services.body.data, ['api', 'web'])
  t.equal(services.body.total, 2)
  t.equal(services.body.errors, null)
  const ops = await getJson(`${jaeger}/api/services/web/operations`)
  t.same(ops.body.data, ['GET /'])
  const typed = await getJson(`${jaeger}/api/operations?service=web&spanKind=server`)
  t.same(typed.body.data, [{ name: 'GET /', spanKind: 'server' }])
})

t.test('trace by id', async (t) => {
  const { status, body } = await getJson(`${jaeger}/api/traces/${traceId}`)
  t.equal(status, 200)
  isEnvelope(t, body)
  t.equal(body.data.length, 1)
  const trace = body.data[0]
  t.equal(trace.traceID, traceId)
  t.same(
    Object.values(trace.processes)
      .map((p: any) => p.serviceName)
      .sort(),
    ['api', 'web'],
  )
  const [rootSpan, childSpan] = trace.spans
  t.match(rootSpan, { traceID: traceId, spanID: root, operationName: 'GET /', references: [], startTime: Math.round(T0 * 1000), duration: 40500 })
  t.equal(trace.processes[rootSpan.processID].serviceName, 'web')
  t.same(childSpan.references, [{ refType: 'CHILD_OF', traceID: traceId, spanID: root }])
  t.same(
    rootSpan.tags.filter((tag: { key: string }) => ['http.response.status_code', 'app.ratio', 'app.flag', 'span.kind'].includes(tag.key)),
    [
      { key: 'http.response.status_code', type: 'int64', value: 200 },
      { key: 'app.ratio', type: 'float64', value: 0.5 },
      { key: 'app.flag', type: 'bool', value: true },
      { key: 'span.kind', type: 'string', value: 'server' },
    ],
  )
  t.match(childSpan.tags, [{ key: 'span.kind' }, { key: 'otel.status_code', value: 'ERROR' }, { key: 'error', type: 'bool', value: true }])
  const missing = await getJson(`${jaeger}/api/traces/${hexId(16)}`)
  t.equal(missing.status, 404)
  t.same(missing.body.errors, [{ code: 404, msg: 'trace not found' }])
})

t.test('trace search with Jaeger parameters', async (t) => {
  const startUs = (T0 - 1000) * 1000
  const endUs = (T0 + 60_000) * 1000
  const found = await getJson(`${jaeger}/api/traces?service=api&start=${startUs}&end=${endUs}&limit=20&minDuration=10ms&maxDuration=1s`)
  t.equal(found.status, 200)
  isEnvelope(t, found.body)
  t.same(
    found.body.data.map((tr: { traceID: string }) => tr.traceID),
    [traceId],
  )
  t.equal(found.body.data[0].spans.length, 2, 'whole traces, as Jaeger returns them')
  const byTags = await getJson(`${jaeger}/api/traces?service=web&lookback=1h&tags=${encodeURIComponent('{"http.response.status_code":"200"}')}`)
  t.same(
    byTags.body.data.map((tr: { traceID: string }) => tr.traceID),
    [traceId],
  )
  const tooSlow = await getJson(`${jaeger}/api/traces?service=api&minDuration=1s`)
  t.same(tooSlow.body.data, [])
  const bad = await getJson(`${jaeger}/api/traces?service=api&minDuration=soon`)
  t.equal(bad.status, 400)
  t.match(bad.body.errors, [{ code: 400, msg: /minDuration="soon"/ }])
})

t.test('well-formed but absurd numbers are 400s naming the parameter and the allowed range, not 500s', async (t) => {
  for (const [query, pattern] of [
    ['start=-1e308', /start=-1e\+308 is out of range: use a Unix time in microseconds from 0 to/],
    ['end=1e308', /end=1e\+308 is out of range/],
    ['lookback=99999999h', /lookback=359999996400000 is out of range: use a duration in milliseconds \(1h, 2d, 30m\) from 0 to 9223372036854/],
    [`minDuration=${'9'.repeat(400)}s`, /minDuration=Infinity is out of range: use a duration/],
    [`maxDuration=${'9'.repeat(20)}h`, /maxDuration=.* is out of range/],
  ] as const) {
    const { status, body } = await getJson(`${jaeger}/api/traces?service=api&${query}`)
    t.equal(status, 400, query)
    t.match(body.errors, [{ code: 400, msg: pattern }], query)
  }
  const deps = await getJson(`${jaeger}/api/dependencies?endTs=1e308`)
  t.equal(deps.status, 400)
  t.match(deps.body.errors, [{ code: 400, msg: /endTs=1e\+308 is out of range/ }])
  // A lookback that reaches before 1970 is everything, not an error.
  t.equal((await getJson(`${jaeger}/api/traces?service=api&lookback=500000h`)).status, 200)
})

t.test('dependencies', async (t) => {
  const { body } = await getJson(`${jaeger}/api/dependencies?endTs=${Date.now()}&lookback=3600000`)
  t.same(body.data, [{ parent: 'web', child: 'api', callCount: 1 }])
})

t.test('a search returns whole traces, newest first, up to the limit', async (t) => {
  // Started in this order: the second is the oldest, the third the newest.
  const ids = [hexId(16), hexId(16), hexId(16)]
  const starts = [T0 + 2000, T0 + 1000, T0 + 3000]
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({
      queue: ids.map((id, i) => ({ traceId: id, spanId: hexId(8), name: 'consume', kind: 5, startMs: starts[i]!, durationMs: 5 })),
    }),
  )
  t.equal(res.status, 200)
  const all = await getJson(`${jaeger}/api/traces?service=queue&lookback=1h`)
  t.same(
    all.body.data.map((tr: { traceID: string }) => tr.traceID),
    [ids[2], ids[0], ids[1]],
    'newest first',
  )
  const two = await getJson(`${jaeger}/api/traces?service=queue&lookback=1h&limit=2`)
  t.same(
    two.body.data.map((tr: { traceID: string; spans: unknown[] }) => [tr.traceID, tr.spans.length]),
    [
      [ids[2], 1],
      [ids[0], 1],
    ],
    'the newest two, each whole',
  )
})
