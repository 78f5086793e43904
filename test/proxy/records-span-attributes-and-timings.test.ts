import t from 'tap'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

t.test('one SERVER span per request, named by route, with HTTP attributes and timing events', async (t) => {
  const upstream = await startHttpServer((req, res) => {
    req.resume()
    setTimeout(() => {
      res.writeHead(201, { 'content-type': 'text/plain' })
      res.write('created')
      setTimeout(() => res.end('!'), 20)
    }, 30)
  })
  const proxy = await startTestSidecar(upstream.url, ['--route', '/users/:id', '--route', '/static/*'])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  await request(proxy.url + '/users/42?expand=1', { method: 'POST', body: 'hello', headers: { 'user-agent': 'tap-test/1.0' } })
  await request(proxy.url + '/static/css/site.css')
  await request(proxy.url + '/other')
  await proxy.spans.waitFor(3)
  const [created, asset, other] = proxy.spans.spans
  t.equal(created!.name, 'POST /users/:id')
  t.equal(created!.kind, 2, 'SERVER')
  t.same(
    {
      method: created!.attributes['http.request.method'],
      route: created!.attributes['http.route'],
      path: created!.attributes['url.path'],
      scheme: created!.attributes['url.scheme'],
      status: created!.attributes['http.response.status_code'],
      protocol: created!.attributes['network.protocol.version'],
      ua: created!.attributes['user_agent.original'],
      reqSize: created!.attributes['http.request.body.size'],
      resSize: created!.attributes['http.response.body.size'],
    },
    { method: 'POST', route: '/users/:id', path: '/users/42', scheme: 'http', status: 201, protocol: '1.1', ua: 'tap-test/1.0', reqSize: 5, resSize: 8 },
  )
  t.equal(asset!.name, 'GET /static/*')
  t.equal(other!.name, 'GET', 'just the method when no route matches')
  const names = created!.events.map((e) => e.name)
  t.same(names, ['upstream.connection_ready', 'upstream.request_sent', 'upstream.first_byte', 'response.finished'])
  const times = created!.events.map((e) => e.timeUnixMs)
  t.same(
    [...times].sort((a, b) => a - b),
    times,
    'timing events in order',
  )
  t.ok(times[0]! >= created!.startUnixMs && times[3]! <= created!.endUnixMs, 'events inside the span')
  t.ok(times[2]! - times[1]! >= 25, 'first byte after the upstream thought for 30 ms')
  t.ok(created!.endUnixMs - created!.startUnixMs >= 45, 'the span covers the whole response')
  t.ok(Math.abs(created!.startUnixMs - Date.now()) < 60_000, 'timestamps are wall-clock epoch milliseconds')
})

t.test('sampling off: requests still proxied, carry context, and are counted', async (t) => {
  const upstream = await startHttpServer((req, res) => res.end(req.headers.traceparent))
  const proxy = await startTestSidecar(upstream.url, ['--sampler', 'always_off'])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  const res = await request(proxy.url + '/')
  t.equal(res.status, 200)
  t.match(res.body, /^00-[0-9a-f]{32}-[0-9a-f]{16}-02$/, 'not sampled (bit 0 clear), random trace id (bit 1)')
  // The exchange is counted when the server side closes, just after the client has its reply.
  let metrics = ''
  for (let i = 0; i < 50 && !/tracecar_requests_unsampled_total 1/.test(metrics); i++) {
    metrics = (await request(proxy.adminUrl + '/metrics')).body
    await new Promise((r) => setTimeout(r, 20))
  }
  t.match(metrics, /tracecar_requests_unsampled_total 1/)
  t.equal(proxy.spans.spans.length, 0)
})
