/**
 * End to end: a real `tracecar proxy` process in front of a service exports
 * its spans over OTLP/HTTP into the collector; the trace, its service name and
 * its W3C tracestate are then found through the query API.
 */
import t from 'tap'
import { startHttpServer } from '../helpers/servers.js'
import { startProxyProcess } from '../helpers/proxy-process.js'
import { getJson, hexId, startTestCollector } from './helpers.js'

t.test('a sidecar exporting into the collector', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const upstream = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.end('ok')
  })
  t.teardown(() => upstream.close())
  const proxy = await startProxyProcess([
    '--upstream',
    upstream.url,
    '--service',
    'legacy-shop',
    '--exporter',
    'otlp',
    '--otlp-endpoint',
    `${collector.otlpUrl}/v1/traces`,
    '--schedule-delay-ms',
    '100',
  ])
  t.teardown(() => proxy.stop())

  const traceId = hexId(16)
  const parentId = hexId(8)
  const res = await fetch(`${proxy.url}/orders/42?x=1`, {
    headers: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'load=run-42,vendor=abc' },
  })
  t.equal(res.status, 200)
  await res.text()

  let body: any
  const deadline = Date.now() + 30_000
  for (;;) {
    const got = await getJson(`${collector.apiUrl}/api/traces/${traceId}`)
    if (got.status === 200) {
      body = got.body
      break
    }
    if (Date.now() > deadline) throw new Error(`the sidecar's span never reached the collector; proxy stderr:\n${proxy.stderr()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  t.equal(body.spans.length, 1)
  const span = body.spans[0]
  t.match(span, { traceId, parentSpanId: parentId, kind: 'SERVER', service: 'legacy-shop', status: { code: 'UNSET' } })
  t.match(span.traceState, /load=run-42/)
  t.equal(span.attributes['http.response.status_code'], 200)
  t.match(body.warnings, [/has parent .* which is not in the trace/], 'the caller is not traced: a note, not an error')

  const byState = await getJson(`${collector.apiUrl}/api/traces?tracestate=load=run-42`)
  t.same(
    byState.body.traces.map((tr: { traceId: string }) => tr.traceId),
    [traceId],
    'found by its tracestate, as tracecar load does',
  )
  t.same((await getJson(`${collector.apiUrl}/api/services`)).body.services, ['legacy-shop'])
})
