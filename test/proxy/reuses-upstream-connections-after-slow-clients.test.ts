import t from 'tap'
import autocannon from 'autocannon'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'
import { HTTP_ENGINES, httpEngineFlags } from '../helpers/http-engines.js'

// A client that stops reading makes the proxy pause the upstream connection
// until the client drains. When the read that paused it also ended the
// response, the connection went back to the pool still paused; a client gone
// for good never drains, so the next request given that connection was never
// answered (504 after the headers timeout). Load generators leave exactly
// that behind: many connections cut at the end of a run.
const body = Buffer.alloc(32 * 1024, 'x')
const upstream = await startHttpServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
t.teardown(() => upstream.close())

for (const engine of HTTP_ENGINES) {
  t.test(`${engine} engine: after a burst of clients cut mid-response, every later request is answered`, async (t) => {
    const proxy = await startTestSidecar(upstream.url, [...httpEngineFlags(engine), '--headers-timeout-ms', '3000'])
    t.teardown(() => proxy.close())
    for (let burst = 0; burst < 3; burst++) {
      await autocannon({ url: proxy.url, connections: 50, duration: 1 })
      const statuses: number[] = []
      for (let i = 0; i < 32; i++) statuses.push((await request(proxy.url + '/after')).status)
      t.same(
        statuses.filter((s) => s !== 200),
        [],
        `burst ${burst + 1}: 32 requests on fresh connections all answered 200`,
      )
    }
  })
}
