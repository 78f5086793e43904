/**
 * `--access-log-otlp`: a real sidecar process sends each access log record as
 * an OTLP log (protobuf and JSON) to a real collector process, where it shows
 * up with the request's trace.
 */
import t from 'tap'
import { startProxyProcess } from '../helpers/proxy-process.js'
import { startHttpServer } from '../helpers/servers.js'
import { getJson } from '../collector/helpers.js'
import { eventually, startCollectorProcess } from '../collector/observability-process.js'
import { encodeLogsProtobuf } from '../../src/export/otlp-log-encode.js'
import { readLogsPartialSuccess } from '../../src/export/otlp-partial-success.js'

t.test('access log records reach the collector linked to their trace', async (t) => {
  const backend = await startHttpServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 503 : 200
    res.end('ok')
  })
  t.teardown(() => backend.close())
  const collector = await startCollectorProcess()
  t.teardown(() => collector.stop())
  for (const protocol of ['http/protobuf', 'http/json']) {
    t.test(protocol, async (t) => {
      const service = `shop-${protocol.slice(5)}`
      const sidecar = await startProxyProcess([
        '--upstream',
        backend.url,
        '--service',
        service,
        '--otlp-endpoint',
        `${collector.otlpUrl}/v1/traces`,
        '--otlp-protocol',
        protocol,
        '--schedule-delay-ms',
        '100',
        '--access-log=false',
        '--access-log-otlp',
      ])
      t.teardown(() => sidecar.stop())
      const ok = await fetch(`${sidecar.url}/cart?x=1`)
      await ok.text()
      const fail = await fetch(`${sidecar.url}/fail`)
      await fail.text()
      const okTrace = ok.headers.get('x-trace-id')!
      const failTrace = fail.headers.get('x-trace-id')!
      t.match(okTrace, /^[0-9a-f]{32}$/)
      const logs = await eventually('the access log record at the collector', async () => {
        const r = await getJson(`${collector.apiUrl}/api/traces/${okTrace}/logs`)
        return r.body.logs?.length > 0 ? r.body.logs : undefined
      })
      t.equal(logs.length, 1, 'one record per request')
      // Spans and log records travel in separate batches: either may arrive first.
      const trace = await eventually('the trace', async () => {
        const r = await getJson(`${collector.apiUrl}/api/traces/${okTrace}`)
        return r.status === 200 ? r : undefined
      })
      const server = trace.body.spans.find((s: { kind: string }) => s.kind === 'SERVER')
      t.match(logs[0], {
        traceId: okTrace,
        spanId: server.spanId,
        service,
        severityText: 'INFO',
        severityNumber: 9,
        body: /^request GET \/cart 200 [\d.]+ms$/,
        attributes: { method: 'GET', path: '/cart', status: 200, kind: 'inbound' },
      })
      t.notOk(JSON.stringify(logs[0]).includes('x=1'), 'the query string is not logged, as on spans')
      const failLogs = await eventually('the failing request record', async () => {
        const r = await getJson(`${collector.apiUrl}/api/traces/${failTrace}/logs`)
        return r.body.logs?.length > 0 ? r.body.logs : undefined
      })
      t.match(failLogs[0], { severityText: 'ERROR', severityNumber: 17, attributes: { status: 503 } })
      await sidecar.stop()
      t.match(sidecar.stderr(), /access log OTLP exporter stopped: \d+ log records exported, 0 dropped/)
      const metrics = sidecar.stderr()
      t.notMatch(metrics, /an exchange observer failed/)
    })
  }
})

t.test('encoder: partial success is read from protobuf and JSON answers', async (t) => {
  t.same(readLogsPartialSuccess(new Uint8Array([0x0a, 0x05, 0x08, 0x02, 0x12, 0x01, 0x78]), 'application/x-protobuf'), { rejected: 2, message: 'x' })
  t.same(readLogsPartialSuccess(Buffer.from('{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"bad"}}'), 'application/json'), {
    rejected: 3,
    message: 'bad',
  })
  t.same(readLogsPartialSuccess(new Uint8Array(), 'application/x-protobuf'), { rejected: 0, message: '' })
  t.ok(encodeLogsProtobuf([], { 'service.name': 's' }, { name: 'x', version: '' }).length > 0)
})
