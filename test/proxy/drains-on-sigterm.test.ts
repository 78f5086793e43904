import t from 'tap'
import http from 'node:http'
import { startHttpServer } from '../helpers/servers.js'
import { startProxyProcess } from '../helpers/proxy-process.js'

t.test('SIGTERM: in-flight requests finish, new connections are refused, exit 0', async (t) => {
  let arrived = 0
  let allArrived!: () => void
  const allIn = new Promise<void>((r) => (allArrived = r))
  const upstream = await startHttpServer((_req, res) => {
    if (++arrived === 5) allArrived()
    // Slow enough that SIGTERM lands while every request is in flight.
    setTimeout(() => res.end('done'), 500)
  })
  t.teardown(() => upstream.close())
  const proxy = await startProxyProcess(['--upstream', upstream.url, '--exporter', 'none', '--drain-timeout-ms', '5000'])
  t.teardown(() => proxy.child.kill('SIGKILL'))

  const results = Array.from(
    { length: 5 },
    () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(proxy.url + '/slow', { agent: false }, (res) => {
            let body = ''
            res.on('data', (d) => (body += d))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          })
          .on('error', reject)
      }),
  )
  await allIn
  proxy.child.kill('SIGTERM')
  const done = await Promise.all(results)
  t.same(
    done.map((r) => r.status),
    [200, 200, 200, 200, 200],
    'no in-flight request failed',
  )
  t.same(
    done.map((r) => r.body),
    ['done', 'done', 'done', 'done', 'done'],
  )
  t.equal(await proxy.exited, 0, 'exit code 0')
  t.match(proxy.stderr(), /0 request\(s\) cut/)
  const lines = proxy
    .stdout()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { trace_id: string; status: number })
  t.equal(lines.length, 5, 'the access log was flushed: one line per request')
  t.ok(lines.every((l) => /^[0-9a-f]{32}$/.test(l.trace_id) && l.status === 200))
})
