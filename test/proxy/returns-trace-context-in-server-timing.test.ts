/**
 * W3C Trace Context Level 2 returns the trace context to the caller as a
 * `Server-Timing` metric, `trace;desc=00-<trace-id>-<span-id>-<flags>` (what a
 * browser script can read), beside `traceresponse`; the service's own metrics stay.
 */
import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import { freePort, request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

const upstream = await startHttpServer((req, res) => {
  if (req.url === '/timed') {
    res.setHeader('server-timing', ['db;dur=53, trace;desc=00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01', 'cache;desc="hit, warm"'])
  }
  res.end('ok')
})
const wss = new WebSocketServer({ noServer: true })
upstream.server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => ws.close())
})
wss.on('headers', (headers) => headers.push('Server-Timing: ws;dur=1'))
const proxy = await startTestSidecar(upstream.url)
t.teardown(async () => {
  wss.close()
  await proxy.close()
  await upstream.close()
})

async function lastSpan(before: number) {
  await proxy.spans.waitFor(before + 1)
  return proxy.spans.spans[before]!
}

t.test('a response carries server-timing trace;desc= with the same value as traceresponse', async (t) => {
  const before = proxy.spans.spans.length
  const res = await request(proxy.url + '/plain')
  const span = await lastSpan(before)
  t.equal(res.headers['server-timing'], `trace;desc=00-${span.traceId}-${span.spanId}-03`)
  t.equal(res.headers.traceresponse, `00-${span.traceId}-${span.spanId}-03`)
  t.equal(res.headers['x-trace-id'], span.traceId)
})

t.test("merged with the service's Server-Timing: its metrics kept on one line, its own trace metric replaced", async (t) => {
  const before = proxy.spans.spans.length
  const res = await request(proxy.url + '/timed', { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
  const span = await lastSpan(before)
  t.equal(res.headers['server-timing'], `db;dur=53, cache;desc="hit, warm", trace;desc=00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanId}-01`)
})

t.test("the proxy's own error answers carry it too", async (t) => {
  const dead = await startTestSidecar(`http://127.0.0.1:${await freePort()}`)
  t.teardown(() => dead.close())
  const res = await request(dead.url + '/x')
  t.equal(res.status, 502)
  await dead.spans.waitFor(1)
  const span = dead.spans.spans[0]!
  t.equal(res.headers['server-timing'], `trace;desc=00-${span.traceId}-${span.spanId}-03`)
})

t.test('a WebSocket handshake answer carries it, merged with the service metric', async (t) => {
  const before = proxy.spans.spans.length
  const timing = await new Promise<string | undefined>((resolve, reject) => {
    const ws = new WebSocket(proxy.url.replace('http', 'ws') + '/socket')
    ws.on('upgrade', (res) => resolve(res.headers['server-timing'] as string | undefined))
    ws.on('error', reject)
  })
  const span = await lastSpan(before)
  t.equal(timing, `ws;dur=1, trace;desc=00-${span.traceId}-${span.spanId}-03`)
})

t.test('turned off with traceresponse (--no-traceresponse): the service metrics pass as they came', async (t) => {
  const quiet = await startTestSidecar(upstream.url, ['--no-traceresponse'])
  t.teardown(() => quiet.close())
  const plain = await request(quiet.url + '/plain')
  t.equal(plain.headers['server-timing'], undefined)
  t.equal(plain.headers.traceresponse, undefined)
  const timed = await request(quiet.url + '/timed')
  t.equal(timed.headers['server-timing'], 'db;dur=53, trace;desc=00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01, cache;desc="hit, warm"')
})
