/**
 * Forwarding: what one collector receives (spans and logs, protobuf, JSON or
 * gRPC) also reaches the next OTLP endpoint, here a second collector; and a
 * next hop that is down costs ingest nothing.
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'
import { freePort } from '../helpers/servers.js'

t.test('spans and logs are forwarded to the next hop', async (t) => {
  const next = await startTestCollector()
  t.teardown(() => next.close())
  const first = await startTestCollector({ forward: { endpoint: next.otlpUrl, initialBackoffMs: 50 } })
  t.teardown(() => first.close())
  const traceId = hexId(16)
  const res = await postJson(
    `${first.otlpUrl}/v1/traces`,
    jsonTraceRequest({ teed: [{ traceId, spanId: hexId(8), name: 'GET /tee', startMs: Date.now(), durationMs: 3 }] }),
  )
  t.equal(res.status, 200)
  const logs = await postJson(`${first.otlpUrl}/v1/logs`, {
    resourceLogs: [
      { scopeLogs: [{ logRecords: [{ timeUnixNano: (BigInt(Date.now()) * 1_000_000n).toString(), body: { stringValue: 'teed log' }, traceId }] }] },
    ],
  })
  t.equal(logs.status, 200)
  const deadline = Date.now() + 20_000
  let got: any
  let gotLogs: any
  do {
    await new Promise((r) => setTimeout(r, 100))
    got = await getJson(`${next.apiUrl}/api/traces/${traceId}`)
    gotLogs = await getJson(`${next.apiUrl}/api/traces/${traceId}/logs`)
  } while ((got.status !== 200 || gotLogs.body.logs.length === 0) && Date.now() < deadline)
  t.equal(got.status, 200, 'the span reached the next hop')
  t.equal(got.body.spans[0].name, 'GET /tee')
  t.equal(gotLogs.body.logs[0].body, 'teed log')
  t.equal((await getJson(`${first.apiUrl}/api/traces/${traceId}`)).status, 200, 'and is stored here too')
})

t.test('a next hop that is down does not slow or fail ingest; what could not go is counted', async (t) => {
  const port = await freePort()
  const first = await startTestCollector({
    forward: { endpoint: `http://127.0.0.1:${port}`, maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 20, maxQueueRecords: 3 },
  })
  for (let i = 0; i < 6; i++) {
    const res = await postJson(
      `${first.otlpUrl}/v1/traces`,
      jsonTraceRequest({ alone: [{ traceId: hexId(16), spanId: hexId(8), name: 'x', startMs: Date.now(), durationMs: 1 }] }),
    )
    t.equal(res.status, 200)
  }
  const forwarder = first.collector.forwarder!
  await first.close()
  const d = forwarder.stats.dropped
  t.equal(forwarder.stats.received, 6)
  t.equal(forwarder.stats.forwarded, 0)
  t.equal(d.queue_full + d.export_failed + d.shutdown, 6, `every record accounted for: ${JSON.stringify(d)}`)
  t.match(first.logs.join('\n'), /forwarding to http:\/\/127\.0\.0\.1:\d+\/? stopped: 0 records forwarded, 6 dropped/)
})
