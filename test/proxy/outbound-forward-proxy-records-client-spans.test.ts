import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import { ProxyAgent, request as undiciRequest } from 'undici'
import { freePort, request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

// The destination: echoes what it received. The service behind the sidecar is
// not needed here: these calls come from "the service" (this test) itself.
const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = []
const destination = await startHttpServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
    res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'text/plain' })
    res.end('hello from the destination')
  })
})
const excludedDestination = await startHttpServer((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers, body: '' })
  res.end('excluded')
})
const sidecar = await startTestSidecar('http://127.0.0.1:1', [
  '--inject',
  'tracecontext,b3',
  '--outbound-exclude',
  `localhost,127.0.0.1:${excludedDestination.port}`,
])
const proxyUrl = `http://127.0.0.1:${sidecar.sidecar.outbound!.forward.port}`
// undici's ProxyAgent is a real HTTP_PROXY client; proxyTunnel false sends
// absolute-form requests for http:// URLs, as curl, axios and requests do.
// The token is sent as Proxy-Authorization on every request: it must stop at the proxy.
const agent = new ProxyAgent({ uri: proxyUrl, proxyTunnel: false, token: 'Basic Zm9vOmJhcg==' })
t.teardown(async () => {
  await agent.close()
  await sidecar.close()
  await destination.close()
  await excludedDestination.close()
})

async function call(path: string, options: { method?: string; headers?: Record<string, string>; body?: string; origin?: string } = {}) {
  const before = sidecar.spans.spans.length
  const res = await undiciRequest((options.origin ?? destination.url) + path, {
    dispatcher: agent,
    method: (options.method ?? 'GET') as 'GET',
    headers: options.headers,
    body: options.body,
  })
  const body = await res.body.text()
  return { res, body, before }
}

async function spanAfter(before: number) {
  await sidecar.spans.waitFor(before + 1)
  return sidecar.spans.spans[before]!
}

t.test('a call through HTTP_PROXY is relayed and recorded as a CLIENT span with the inbound attributes and timings', async (t) => {
  const { res, body, before } = await call('/orders/42?token=secret', { headers: { 'user-agent': 'legacy/1.0' } })
  t.equal(res.statusCode, 200)
  t.equal(body, 'hello from the destination')
  const span = await spanAfter(before)
  const got = seen[seen.length - 1]!
  t.equal(span.kind, 3, 'CLIENT')
  t.equal(span.name, 'GET')
  t.equal(span.parentSpanId, '', 'nothing to join: a new trace')
  t.equal(span.attributes['url.full'], `${destination.url}/orders/42`, 'url.full without the query (it may carry secrets)')
  t.equal(span.attributes['server.address'], '127.0.0.1')
  t.equal(span.attributes['server.port'], destination.port)
  t.equal(span.attributes['http.request.method'], 'GET')
  t.equal(span.attributes['http.response.status_code'], 200)
  t.equal(span.attributes['http.response.body.size'], 'hello from the destination'.length)
  t.equal(span.attributes['user_agent.original'], 'legacy/1.0')
  t.equal(span.attributes['tracecar.join.rule'], 'none')
  t.same(
    span.events.map((e) => e.name),
    ['upstream.connection_ready', 'upstream.request_sent', 'upstream.first_byte', 'response.finished'],
  )
  for (let i = 1; i < span.events.length; i++) t.ok(span.events[i]!.timeUnixMs >= span.events[i - 1]!.timeUnixMs, 'events in order')
  t.equal(got.url, '/orders/42?token=secret', 'the destination gets origin-form with the query')
  t.equal(got.headers.host, `127.0.0.1:${destination.port}`)
  t.equal(got.headers.traceparent, `00-${span.traceId}-${span.spanId}-03`, 'W3C context: the destination is a child of the CLIENT span')
  t.match(got.headers.b3, new RegExp(`^${span.traceId}-${span.spanId}-1`), 'B3 as configured')
  t.equal(got.headers['proxy-authorization'], undefined, 'proxy credentials are for the proxy, never forwarded')
  t.equal(got.headers['x-forwarded-for'], undefined, 'no X-Forwarded-* added: the service itself is the caller')
})

t.test("a forwarded traceparent is the parent; the service's own copy is replaced, not duplicated", async (t) => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
  const PARENT = '00f067aa0ba902b7'
  const { before } = await call('/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'k=v' } })
  const span = await spanAfter(before)
  const got = seen[seen.length - 1]!
  t.equal(span.traceId, TRACE)
  t.equal(span.parentSpanId, PARENT)
  t.equal(span.attributes['tracecar.join.rule'], 'context')
  t.equal(got.headers.traceparent, `00-${TRACE}-${span.spanId}-01`)
  t.equal(got.headers.tracestate, 'k=v')
})

t.test('a request body is streamed and counted; a 404 is an error of the call', async (t) => {
  const payload = 'x'.repeat(100_000)
  const { res, before } = await call('/missing', { method: 'POST', body: payload, headers: { 'content-type': 'text/plain' } })
  t.equal(res.statusCode, 404)
  const span = await spanAfter(before)
  t.equal(seen[seen.length - 1]!.body.length, payload.length)
  t.equal(span.attributes['http.request.body.size'], payload.length)
  t.equal(span.attributes['error.type'], '404', 'CLIENT spans: 4xx is an error of the call (OTel HTTP conventions)')
})

t.test('an unreachable destination is answered 502 and the span says connection_refused', async (t) => {
  const port = await freePort()
  const { res, body, before } = await call('/x', { origin: `http://127.0.0.1:${port}` })
  t.equal(res.statusCode, 502)
  t.match(body, /^tracecar: connection_refused:/)
  const span = await spanAfter(before)
  t.equal(span.attributes['error.type'], 'connection_refused')
  t.equal(span.attributes['http.response.status_code'], 502)
  t.equal(span.statusCode, 2, 'status ERROR')
})

t.test('a request that is not absolute-form is refused with 400 and still recorded', async (t) => {
  const before = sidecar.spans.spans.length
  const res = await request(`${proxyUrl}/just/a/path`)
  t.equal(res.status, 400)
  t.match(res.body, /not_a_proxy_request/)
  const span = await spanAfter(before)
  t.equal(span.attributes['error.type'], 'not_a_proxy_request')
})

t.test('excluded destinations (NO_PROXY style) are relayed untouched: no span, no trace headers', async (t) => {
  const before = sidecar.spans.spans.length
  const { res, body } = await call('/y', { origin: excludedDestination.url })
  t.equal(res.statusCode, 200)
  t.equal(body, 'excluded')
  const got = seen[seen.length - 1]!
  t.equal(got.headers.traceparent, undefined)
  t.equal(got.headers.b3, undefined)
  // A traced call after it proves the observers ran and skipped the excluded one.
  const next = await call('/z')
  await sidecar.spans.waitFor(next.before + 1)
  t.equal(sidecar.spans.spans.length, before + 1, 'only the traced call made a span')
  t.equal(sidecar.spans.spans[before]!.attributes['url.full'], `${destination.url}/z`)
})

t.test('/metrics counts calls by join rule, unjoined calls and exclusions', async (t) => {
  const metrics = (await request(`${sidecar.adminUrl}/metrics`)).body
  t.match(metrics, /tracecar_outbound_joins_total\{rule="context"\} 1/)
  t.match(metrics, /tracecar_outbound_unjoined_total \d+/)
  t.match(metrics, /tracecar_outbound_excluded_total 1/)
  t.match(metrics, /tracecar_http_request_duration_seconds_count\{direction="outbound"/)
})
