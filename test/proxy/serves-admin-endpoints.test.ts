import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { freePort, request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

t.test('/healthz, /ready and /metrics with trace-id exemplars', async (t) => {
  const upstream = await startHttpServer((_req, res) => res.end('ok'))
  const proxy = await startTestSidecar(upstream.url, ['--route', '/users/:id'])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  t.equal((await request(proxy.adminUrl + '/healthz')).status, 200)
  t.equal((await request(proxy.adminUrl + '/ready')).status, 200)
  await request(proxy.url + '/users/42')
  await proxy.spans.waitFor(1)
  const span = proxy.spans.spans[0]!
  const metrics = await request(proxy.adminUrl + '/metrics')
  t.match(metrics.headers['content-type'], /application\/openmetrics-text/)
  t.match(metrics.body, /tracecar_http_request_duration_seconds_count\{direction="inbound",method="GET",route="\/users\/:id",status_class="2xx"\} 1/)
  t.match(metrics.body, new RegExp(`tracecar_http_request_duration_seconds_bucket\\{[^}]*\\} 1 # \\{trace_id="${span.traceId}",span_id="${span.spanId}"\\}`))
  t.match(metrics.body, /tracecar_process_cpu_seconds_total/)
})

t.test('/ready is 503 when the upstream is unreachable', async (t) => {
  const proxy = await startTestSidecar(`http://127.0.0.1:${await freePort()}`)
  t.teardown(() => proxy.close())
  const ready = await request(proxy.adminUrl + '/ready')
  t.equal(ready.status, 503)
  t.match(ready.body, /not reachable: ECONNREFUSED/)
})

t.test('access-log lines that cannot be written are counted on /metrics, and requests still succeed', async (t) => {
  const upstream = await startHttpServer((_req, res) => res.end('ok'))
  // A file where the log's directory should be: the destination can never be opened.
  const notADirectory = join(t.testdir(), 'a-file')
  writeFileSync(notADirectory, '')
  const proxy = await startTestSidecar(upstream.url, ['--access-log=true', '--access-log-destination', join(notADirectory, 'access.log')])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  for (let i = 0; i < 3; i++) t.equal((await request(proxy.url + '/')).status, 200, `request ${i + 1} answered`)
  // Lines leave in blocks at least once a second; the failure is known after the first attempt.
  let metrics = ''
  for (let waited = 0; waited < 5000 && !/tracecar_access_log_dropped_lines_total 3\b/.test(metrics); waited += 200) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    metrics = (await request(proxy.adminUrl + '/metrics')).body
  }
  t.match(metrics, /tracecar_access_log_dropped_lines_total 3\b/)
})
