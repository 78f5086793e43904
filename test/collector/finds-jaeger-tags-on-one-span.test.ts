/**
 * Trace search on /api/jaeger/api/traces as Grafana's Jaeger data source uses
 * it: `tags` as a JSON object or logfmt, matched like Jaeger's own stores do
 * (against span tags including the ones Jaeger derives, process tags and
 * span log fields), with service, operation, duration and every tag holding
 * on the same span; up to 100 traces when no limit is given.
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'
import type { JsonSpanInput } from './helpers.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const jaeger = `${collector.apiUrl}/api/jaeger`
const T0 = Date.now() - 60_000

// A checkout whose card was declined: checkout's CLIENT span calls payments,
// whose SERVER span failed (status ERROR, no `error` attribute) and recorded an exception event.
const declined = hexId(16)
const checkoutServer = hexId(8)
const checkoutClient = hexId(8)
const paymentsServer = hexId(8)
// A trace where payments answered 200 and the gateway in front of it 500.
const gatewayFailed = hexId(16)
const gatewaySpan = hexId(8)

type EventSpec = { name: string; attributes: Record<string, string> }
function withEvents(request: unknown, spanId: string, events: EventSpec[]): unknown {
  for (const rs of (request as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<Record<string, unknown>> }> }> }).resourceSpans) {
    for (const span of rs.scopeSpans[0]!.spans) {
      if (span.spanId !== spanId) continue
      span.events = events.map((e) => ({
        name: e.name,
        timeUnixNano: span.startTimeUnixNano,
        attributes: Object.entries(e.attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
      }))
    }
  }
  return request
}

async function ingest(byService: Record<string, JsonSpanInput[]>, resource: Record<string, string> = {}, events?: [string, EventSpec[]]): Promise<void> {
  let body = jsonTraceRequest(byService, resource)
  if (events !== undefined) body = withEvents(body, events[0], events[1])
  const res = await postJson(`${collector.otlpUrl}/v1/traces`, body)
  if (res.status !== 200 || res.body.partialSuccess !== undefined) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`)
}

t.before(async () => {
  await ingest({
    checkout: [
      { traceId: declined, spanId: checkoutServer, name: 'POST /checkout', kind: 2, startMs: T0, durationMs: 300 },
      { traceId: declined, spanId: checkoutClient, parentSpanId: checkoutServer, name: 'POST /charge', kind: 3, startMs: T0 + 10, durationMs: 250 },
    ],
  })
  await ingest(
    {
      payments: [
        {
          traceId: declined,
          spanId: paymentsServer,
          parentSpanId: checkoutClient,
          name: 'POST /charge',
          kind: 2,
          startMs: T0 + 20,
          durationMs: 200,
          status: 2,
          attributes: { 'http.response.status_code': 402 },
        },
      ],
    },
    { 'deployment.environment.name': 'staging' },
    [paymentsServer, [{ name: 'exception', attributes: { 'exception.type': 'CardDeclined', 'exception.message': 'card declined' } }]],
  )
  await ingest({
    gateway: [
      {
        traceId: gatewayFailed,
        spanId: gatewaySpan,
        name: 'POST /pay',
        kind: 2,
        startMs: T0 + 1000,
        durationMs: 50,
        status: 2,
        attributes: { 'http.response.status_code': 500 },
      },
    ],
    payments: [
      {
        traceId: gatewayFailed,
        spanId: hexId(8),
        parentSpanId: gatewaySpan,
        name: 'POST /charge',
        kind: 2,
        startMs: T0 + 1005,
        durationMs: 40,
        attributes: { 'http.response.status_code': 200 },
      },
    ],
  })
  // Many quick health checks, for the default limit.
  const checks: JsonSpanInput[] = []
  for (let i = 0; i < 120; i++) checks.push({ traceId: hexId(16), spanId: hexId(8), name: 'GET /healthz', kind: 2, startMs: T0 + 2000 + i, durationMs: 1 })
  await ingest({ health: checks })
})

async function found(query: string): Promise<string[]> {
  const { status, body } = await getJson(`${jaeger}/api/traces?lookback=1h&${query}`)
  if (status !== 200) throw new Error(`${query}: ${status} ${JSON.stringify(body)}`)
  return body.data.map((trace: { traceID: string }) => trace.traceID).sort()
}

const json = (tags: Record<string, string>): string => `tags=${encodeURIComponent(JSON.stringify(tags))}`
const logfmt = (text: string): string => `tags=${encodeURIComponent(text)}`

t.test("Grafana's example tag error=true finds spans with status ERROR", async (t) => {
  t.same(await found(`service=payments&${json({ error: 'true' })}`), [declined])
  t.same(await found(json({ error: 'true' })), [declined, gatewayFailed].sort())
  t.same(await found(`service=checkout&${json({ error: 'true' })}`), [], 'checkout itself did not fail')
})

t.test('the tags Jaeger derives from the span are searchable, as JSON or logfmt', async (t) => {
  t.same(await found(`service=checkout&${logfmt('span.kind=client')}`), [declined])
  t.same(await found(`service=gateway&${logfmt('span.kind=client')}`), [])
  t.same(await found(`service=payments&${logfmt('otel.status_code=ERROR span.kind=server')}`), [declined])
  t.same(await found(`${json({ 'otel.scope.name': 'test' })}&service=gateway`), [gatewayFailed])
  t.same(await found(`service=payments&${logfmt('http.response.status_code=402 deployment.environment.name="staging"')}`), [declined])
  const bad = await getJson(`${jaeger}/api/traces?${logfmt('span.kind client')}`)
  t.equal(bad.status, 400)
  t.match(bad.body.errors, [{ code: 400, msg: /not logfmt/ }])
})

t.test('span log (event) fields and process tags are searchable', async (t) => {
  t.same(await found(`service=payments&${json({ 'exception.type': 'CardDeclined' })}`), [declined])
  t.same(await found(json({ 'exception.type': 'CardDeclined' })), [declined])
  t.same(await found(logfmt('event=exception')), [declined])
  t.same(await found(logfmt('exception.type=Timeout')), [])
  t.same(await found(`service=payments&${json({ 'deployment.environment.name': 'staging' })}`), [declined])
})

t.test('service, operation, duration and every tag must hold on the same span', async (t) => {
  t.same(await found(`service=payments&${json({ 'http.response.status_code': '500' })}`), [], "the 500 is the gateway's, not payments'")
  t.same(await found(`service=gateway&${json({ 'http.response.status_code': '500' })}`), [gatewayFailed])
  t.same(await found(`service=payments&${json({ 'http.response.status_code': '200' })}`), [gatewayFailed])
  t.same(
    await found(`service=checkout&operation=${encodeURIComponent('POST /charge')}&${json({ 'span.kind': 'server' })}`),
    [],
    'the checkout span named POST /charge is the client',
  )
  t.same(await found(`service=payments&minDuration=100ms&${json({ 'http.response.status_code': '200' })}`), [], 'the 200 span was quick')
  t.same(await found(`service=payments&minDuration=100ms&${json({ 'http.response.status_code': '402' })}`), [declined])
  t.same(await found(`service=payments&${json({ 'http.response.status_code': '200', 'exception.type': 'CardDeclined' })}`), [], 'both tags, one span')
})

t.test('without a limit, up to 100 traces as Jaeger returns', async (t) => {
  t.equal((await found('service=health')).length, 100)
  t.equal((await found('service=health&limit=5')).length, 5)
})
