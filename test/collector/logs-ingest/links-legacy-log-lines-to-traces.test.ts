/**
 * Lines from services that know nothing about tracing, shipped through the
 * Loki push API (protobuf+snappy as Promtail sends, and JSON) and the raw
 * endpoint, carrying the trace id only in their text, show up with that
 * trace in /api/traces/:id/logs of a real collector process.
 */
import protobuf from 'protobufjs'
import SnappyJS from 'snappyjs'
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson } from '../helpers.js'
import { startCollectorProcess } from '../observability-process.js'

function lokiProtobuf(labels: string, line: string, tsMs: number): Uint8Array {
  // Field numbers of logproto.PushRequest/StreamAdapter/EntryAdapter, written by hand.
  const ts = protobuf.Writer.create()
    .uint32(8)
    .int64(Math.floor(tsMs / 1000))
    .uint32(16)
    .int32((tsMs % 1000) * 1e6)
    .finish()
  const entry = protobuf.Writer.create().uint32(10).bytes(ts).uint32(18).string(line).finish()
  const stream = protobuf.Writer.create().uint32(10).string(labels).uint32(18).bytes(entry).finish()
  return SnappyJS.compress(protobuf.Writer.create().uint32(10).bytes(stream).finish())
}

t.test('Loki push and raw lines join their trace by the id in their text', async (t) => {
  const collector = await startCollectorProcess()
  t.teardown(() => collector.stop())
  const traceId = hexId(16)
  const spanId = hexId(8)
  const now = Date.now()
  const stored = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({ cart: [{ traceId, spanId, name: 'GET /cart', startMs: now - 50, durationMs: 20 }] }),
  )
  t.equal(stored.status, 200)

  const promtail = await fetch(`${collector.otlpUrl}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: lokiProtobuf('{job="legacy-cart", filename="/var/log/cart.log"}', `127.0.0.1 - - "GET /cart HTTP/1.1" 200 512 x-trace-id=${traceId}`, now - 40),
  })
  t.equal(promtail.status, 204, 'Loki protobuf push answered like Loki')

  const lokiJson = await postJson(`${collector.otlpUrl}/loki/api/v1/push`, {
    streams: [
      { stream: { service_name: 'cart', level: 'warn' }, values: [[String(BigInt(now - 35) * 1_000_000n), `slow query for trace ${traceId.toUpperCase()}`]] },
    ],
  })
  t.equal(lokiJson.status, 204, 'Loki JSON push')

  const raw = await fetch(`${collector.otlpUrl}/v1/logs/raw?service=cart-worker`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: `${JSON.stringify({ level: 'error', time: new Date(now - 30).toISOString(), msg: `charge failed (trace_id=${traceId})` })}\nplain text line without any id\n`,
  })
  t.equal(raw.status, 200)
  t.same(await raw.json(), { accepted: 2, linkedToTraces: 1 })

  const { status, body } = await getJson(`${collector.apiUrl}/api/traces/${traceId}/logs?order=asc`)
  t.equal(status, 200)
  const bodies = body.logs.map((l: { body: string }) => l.body)
  t.equal(body.logs.length, 3, 'three lines joined the trace')
  t.match(bodies[0], /GET \/cart HTTP\/1\.1" 200 512 x-trace-id=/)
  t.match(bodies[1], /slow query for trace/)
  t.equal(bodies[2], `charge failed (trace_id=${traceId})`)
  t.match(body.logs[0], { service: 'legacy-cart', traceId, resource: { job: 'legacy-cart', filename: '/var/log/cart.log' } })
  t.match(body.logs[1], { service: 'cart', severityText: 'warn', severityNumber: 13 })
  t.match(body.logs[2], { service: 'cart-worker', severityText: 'error', severityNumber: 17, timeUnixMs: now - 30 })
  const unlinked = await getJson(`${collector.apiUrl}/api/logs?service=cart-worker`)
  t.ok(
    unlinked.body.logs.some((l: { body: string; traceId: string }) => l.body === 'plain text line without any id' && l.traceId === ''),
    'a line without an id is kept, unlinked',
  )
})

t.test('Datadog decimal ids and configured fields and patterns', async (t) => {
  const collector = await startCollectorProcess(['--log-trace-id-field', 'ctx.corr', '--log-trace-id-pattern', 'corr#(?<traceId>[0-9a-f]{32})'])
  t.teardown(() => collector.stop())
  const dd = '1311768467294899695'
  const ddTrace = '00000000000000001234567890abcdef'
  const custom = hexId(16)
  const custom2 = hexId(16)
  const lines = [
    JSON.stringify({ message: 'dd line', dd: { trace_id: dd, span_id: dd } }),
    JSON.stringify({ message: 'nested', ctx: { corr: custom } }),
    `legacy corr#${custom2} done`,
  ].join('\n')
  const res = await fetch(`${collector.otlpUrl}/v1/logs/raw?service=legacy`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: lines })
  t.same(await res.json(), { accepted: 3, linkedToTraces: 3 })
  const a = await getJson(`${collector.apiUrl}/api/traces/${ddTrace}/logs`)
  t.match(a.body.logs, [{ body: 'dd line', traceId: ddTrace, spanId: '1234567890abcdef' }])
  t.match((await getJson(`${collector.apiUrl}/api/traces/${custom}/logs`)).body.logs, [{ body: 'nested' }])
  t.match((await getJson(`${collector.apiUrl}/api/traces/${custom2}/logs`)).body.logs, [{ body: `legacy corr#${custom2} done` }])
})

t.test('bad pushes are refused with a reason', async (t) => {
  const collector = await startCollectorProcess()
  t.teardown(() => collector.stop())
  const notLoki = await postJson(`${collector.otlpUrl}/loki/api/v1/push`, { streams: [{ stream: {}, values: [['yesterday', 'x']] }] })
  t.equal(notLoki.status, 400)
  t.match(notLoki.body, /streams\[0\]\.values\[0\] timestamp "yesterday" must be Unix epoch nanoseconds/)
  const garbage = await fetch(`${collector.otlpUrl}/loki/api/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: 'not snappy at all',
  })
  t.equal(garbage.status, 400)
  t.match(await garbage.text(), /Loki protobuf push body is not/)
  const xml = await fetch(`${collector.otlpUrl}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<x/>' })
  t.equal(xml.status, 415)
  const badService = await fetch(`${collector.otlpUrl}/v1/logs/raw?service=%3Cscript%3E`, { method: 'POST', body: 'x' })
  t.equal(badService.status, 400)
  t.match(await badService.json(), { error: /service="<script>" must be/ })
})
