import t from 'tap'
import http from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'
import { ConfigError } from '../../src/config/config-error.js'
import { freePort, request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

// "payments": the service our legacy service calls, by a local port instead of a proxy.
const paymentsSaw: Array<{ url: string; headers: IncomingHttpHeaders }> = []
const payments = await startHttpServer((req, res) => {
  paymentsSaw.push({ url: req.url ?? '', headers: req.headers })
  res.end('charged')
})

// The legacy service: calls http://127.0.0.1:<route port>/charge with a plain
// client (no proxy support), copying only x-request-id from its own request.
let routePort = 0
const service = await startHttpServer((req, res) => {
  const call = http.request(
    { host: '127.0.0.1', port: routePort, path: '/charge?amount=5', method: 'POST', headers: { 'x-request-id': req.headers['x-request-id'] ?? '' } },
    (answer) => {
      let body = ''
      answer.on('data', (d: Buffer) => (body += d.toString()))
      answer.on('end', () => res.end(`payments said ${answer.statusCode} ${body}`))
    },
  )
  call.on('error', (err) => res.writeHead(500).end(err.message))
  call.end('{}')
})
const deadPort = await freePort()
const sidecar = await startTestSidecar(service.url, [
  '--route',
  '/orders/:id',
  '--outbound-route',
  `payments=${payments.url}@0`,
  '--outbound-route',
  `ledger=http://127.0.0.1:${deadPort}@0`,
])
const routes = sidecar.sidecar.outbound!.routes
routePort = routes.find((r) => r.name === 'payments')!.address.port
t.teardown(async () => {
  await sidecar.close()
  await service.close()
  await payments.close()
})

t.test('--route keeps its meaning (span name templates); --outbound-route names upstreams', async (t) => {
  t.same(sidecar.config.routes, ['/orders/:id'])
  t.same(
    sidecar.config.outbound.routes.map((r) => r.name),
    ['payments', 'ledger'],
  )
  t.equal(routes[0]!.address.address, '127.0.0.1', 'route listeners are on loopback like the forward proxy')
})

t.test('a call to a named route is a CLIENT span joined to the inbound request, context carried on', async (t) => {
  const res = await request(`${sidecar.url}/orders/7`)
  t.equal(res.status, 200)
  t.equal(res.body, 'payments said 200 charged')
  await sidecar.spans.waitFor(2)
  const server = sidecar.spans.spans.find((s) => s.kind === 2)!
  const client = sidecar.spans.spans.find((s) => s.kind === 3)!
  t.equal(server.name, 'GET /orders/:id')
  t.equal(client.traceId, server.traceId, 'one trace')
  t.equal(client.parentSpanId, server.spanId, 'the call is a child of the request that made it')
  t.equal(client.attributes['tracecar.join.rule'], 'correlation')
  t.equal(client.attributes['peer.service'], 'payments')
  t.equal(client.attributes['url.full'], `${payments.url}/charge`)
  t.equal(client.attributes['server.port'], payments.port)
  t.equal(client.attributes['http.request.method'], 'POST')
  const saw = paymentsSaw[paymentsSaw.length - 1]!
  t.equal(saw.url, '/charge?amount=5')
  t.equal(saw.headers.host, `127.0.0.1:${payments.port}`, "the upstream's Host, not the route's local address")
  t.equal(saw.headers.traceparent, `00-${client.traceId}-${client.spanId}-${client.traceFlags.toString(16).padStart(2, '0')}`)
})

t.test('a named route whose upstream is down answers 502 with a span', async (t) => {
  const ledgerPort = routes.find((r) => r.name === 'ledger')!.address.port
  const before = sidecar.spans.spans.length
  const res = await request(`http://127.0.0.1:${ledgerPort}/entries`)
  t.equal(res.status, 502)
  await sidecar.spans.waitFor(before + 1)
  const span = sidecar.spans.spans[before]!
  t.equal(span.attributes['peer.service'], 'ledger')
  t.equal(span.attributes['error.type'], 'connection_refused')
})

t.test('bad route specs stop start-up with one line naming the key', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['payments', /outbound\.routes.*is not name=url@port/],
    ['payments=ftp://x:1@15101', /outbound\.routes.*http: or https: URL/],
    ['payments=http://x:1/path@15101', /outbound\.routes.*no path/],
    ['payments=http://x:1@99999', /outbound\.routes.*local port/],
    ['pay ments=http://x:1@15101', /outbound\.routes.*name must be/],
  ]
  for (const [spec, message] of bad) {
    t.throws(() => loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:1', '--outbound-route', spec], env: {} }), message, spec)
  }
  try {
    loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:1', '--outbound-route', 'a=http://x:1@15101', '--outbound-route', 'a=http://y:1@15102'], env: {} })
    t.fail('a duplicate name is accepted')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    t.match((err as Error).message, /route name "a" is given twice/)
  }
  const fromEnv = loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:1'], env: { TRACECAR_OUTBOUND_ROUTES: 'a=http://x:1@15101,b=https://y@0' } })
  t.same(fromEnv.outbound.routes, [
    { name: 'a', upstream: 'http://x:1', port: 15101 },
    { name: 'b', upstream: 'https://y', port: 0 },
  ])
})
