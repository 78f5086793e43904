import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

let last: { headers: IncomingHttpHeaders; rawHeaders: string[] } | undefined
const upstream = await startHttpServer((req, res) => {
  last = { headers: req.headers, rawHeaders: req.rawHeaders }
  res.setHeader('connection', 'keep-alive, x-upstream-hop')
  res.setHeader('x-upstream-hop', 'must not reach the client')
  res.setHeader('keep-alive', 'timeout=5')
  res.setHeader('x-end-to-end', 'kept')
  res.setHeader('traceresponse', '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01')
  res.setHeader('set-cookie', ['a=1', 'b=2'])
  res.end('ok')
})
const proxy = await startTestSidecar(upstream.url)
t.teardown(async () => {
  await proxy.close()
  await upstream.close()
})

t.test('the service gets the trace id, span id and a request id in plain headers', async (t) => {
  const res = await request(proxy.url + '/orders', { headers: { host: 'shop.example:8443' } })
  await proxy.spans.waitFor(1)
  const span = proxy.spans.spans.at(-1)!
  t.equal(last!.headers['x-trace-id'], span.traceId)
  t.equal(last!.headers['x-span-id'], span.spanId)
  t.match(last!.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.equal(span.attributes['tracecar.request_id'], last!.headers['x-request-id'])
  t.equal(res.headers['x-trace-id'], span.traceId, 'the caller gets the trace id back')
  t.equal(res.headers.traceresponse, `00-${span.traceId}-${span.spanId}-03`, "the proxy's traceresponse replaces the upstream's")
})

t.test('a caller cannot spoof the trace id the service logs; an incoming request id is kept', async (t) => {
  const before = proxy.spans.spans.length
  await request(proxy.url + '/', { headers: { 'x-trace-id': 'spoofed\u0020value', 'x-request-id': 'req-42' } })
  await proxy.spans.waitFor(before + 1)
  const span = proxy.spans.spans.at(-1)!
  t.equal(last!.headers['x-trace-id'], span.traceId)
  t.equal(last!.headers['x-request-id'], 'req-42')
  t.equal(last!.rawHeaders.filter((h) => h.toLowerCase() === 'x-request-id').length, 1)
})

t.test('hop-by-hop headers are removed both ways, Host is preserved, X-Forwarded-* added', async (t) => {
  const res = await request(proxy.url + '/', {
    headers: {
      host: 'shop.example:8443',
      connection: 'keep-alive, x-client-hop',
      'x-client-hop': 'must not reach the service',
      te: 'trailers',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'x-forwarded-for': '203.0.113.7',
      'x-kept': 'yes',
    },
  })
  t.equal(last!.headers.host, 'shop.example:8443')
  t.equal(last!.headers['x-client-hop'], undefined)
  t.equal(last!.headers.te, undefined)
  t.equal(last!.headers['proxy-authorization'], undefined)
  t.equal(last!.headers['x-kept'], 'yes')
  t.equal(last!.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  t.equal(last!.headers['x-forwarded-proto'], 'http')
  t.equal(last!.headers['x-forwarded-host'], 'shop.example:8443')
  t.equal(res.headers['x-upstream-hop'], undefined)
  t.equal(res.headers['x-end-to-end'], 'kept')
  t.same(res.headers['set-cookie'], ['a=1', 'b=2'], 'repeated headers survive')
  const span = proxy.spans.spans.at(-1)!
  t.equal(span.attributes['client.address'], '203.0.113.7', 'client.address from X-Forwarded-For')
  t.equal(span.attributes['network.peer.address'], '127.0.0.1')
  t.equal(span.attributes['server.address'], 'shop.example')
  t.equal(span.attributes['server.port'], 8443)
})

t.test('with preserveHost off the upstream gets its own host', async (t) => {
  const other = await startTestSidecar(upstream.url, ['--preserve-host=false'])
  t.teardown(() => other.close())
  await request(other.url + '/', { headers: { host: 'shop.example' } })
  t.equal(last!.headers.host, `127.0.0.1:${upstream.port}`)
})

t.test('header names are configurable, and can be turned off', async (t) => {
  const other = await startTestSidecar(upstream.url, ['--trace-id-header', 'x-b3-like-id', '--span-id-header', '', '--request-id-header', 'x-correlation-id'])
  t.teardown(() => other.close())
  const res = await request(other.url + '/')
  await other.spans.waitFor(1)
  const span = other.spans.spans[0]!
  t.equal(last!.headers['x-b3-like-id'], span.traceId)
  t.equal(last!.headers['x-trace-id'], undefined)
  t.equal(last!.headers['x-span-id'], undefined)
  t.ok(last!.headers['x-correlation-id'])
  t.equal(res.headers['x-b3-like-id'], span.traceId)
})
