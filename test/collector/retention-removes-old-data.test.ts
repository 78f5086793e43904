/**
 * Retention: data older than the configured age goes, newer data stays;
 * past the size limit the oldest data goes until the store fits.
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

const HOUR_MS = 3_600_000

async function sendTrace(otlpUrl: string, service: string, startMs: number, spans = 3, padding = 0): Promise<string> {
  const traceId = hexId(16)
  const res = await postJson(
    `${otlpUrl}/v1/traces`,
    jsonTraceRequest({
      [service]: Array.from({ length: spans }, (_, i) => ({
        traceId,
        spanId: hexId(8),
        name: `op${i}`,
        startMs: startMs + i,
        durationMs: 1,
        attributes: { pad: 'p'.repeat(padding) },
      })),
    }),
  )
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}`)
  return traceId
}

async function sendLog(otlpUrl: string, service: string, timeMs: number, traceId: string): Promise<void> {
  const res = await postJson(`${otlpUrl}/v1/logs`, {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [{ logRecords: [{ timeUnixNano: (BigInt(timeMs) * 1_000_000n).toString(), body: { stringValue: 'a log line' }, traceId }] }],
      },
    ],
  })
  if (res.status !== 200) throw new Error(`log ingest answered ${res.status}`)
}

t.test('spans and logs older than the retention age are removed in the background; newer stay', async (t) => {
  const collector = await startTestCollector({ retention: { maxAgeMs: 24 * HOUR_MS, intervalMs: 100, batchSize: 5 } })
  t.teardown(() => collector.close())
  const now = Date.now()
  const old = await Promise.all([0, 1, 2, 3].map((i) => sendTrace(collector.otlpUrl, 'retention', now - 48 * HOUR_MS - i * 1000)))
  const fresh = await sendTrace(collector.otlpUrl, 'retention', now - HOUR_MS)
  await sendLog(collector.otlpUrl, 'retention', now - 48 * HOUR_MS, old[0]!)
  await sendLog(collector.otlpUrl, 'retention', now - HOUR_MS, fresh)

  // The background worker runs every 100 ms in batches of 5: wait for it to finish the 12 old
  // spans and then the old log record (logs go after spans, in a later batch).
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const { body } = await getJson(`${collector.apiUrl}/api/traces?service=retention&limit=100`)
    const { body: logBody } = await getJson(`${collector.apiUrl}/api/logs?service=retention`)
    if (body.traces.length === 1 && logBody.logs.length === 1) break
    await new Promise((r) => setTimeout(r, 100))
  }
  for (const traceId of old) t.equal((await getJson(`${collector.apiUrl}/api/traces/${traceId}`)).status, 404, `old trace ${traceId} removed`)
  const kept = await getJson(`${collector.apiUrl}/api/traces/${fresh}`)
  t.equal(kept.status, 200, 'the recent trace is kept')
  t.equal(kept.body.spans.length, 3)
  const logs = await getJson(`${collector.apiUrl}/api/logs?service=retention`)
  t.equal(logs.body.logs.length, 1, 'the old log record is removed, the recent one kept')
  t.equal(logs.body.logs[0].traceId, fresh)
  t.ok(collector.collector.retention.totalDeleted >= 13, `${collector.collector.retention.totalDeleted} records deleted`)
})

t.test('a service whose spans are all gone leaves the service list', async (t) => {
  const collector = await startTestCollector({ retention: { maxAgeMs: 24 * HOUR_MS, intervalMs: 3_600_000 } })
  t.teardown(() => collector.close())
  await sendTrace(collector.otlpUrl, 'retired', Date.now() - 48 * HOUR_MS)
  await sendTrace(collector.otlpUrl, 'active', Date.now())
  t.same((await getJson(`${collector.apiUrl}/api/services`)).body.services, ['active', 'retired'])
  await collector.collector.retention.runOnce()
  t.same((await getJson(`${collector.apiUrl}/api/services`)).body.services, ['active'])
  // It comes back when it sends again.
  await sendTrace(collector.otlpUrl, 'retired', Date.now())
  t.same((await getJson(`${collector.apiUrl}/api/services`)).body.services, ['active', 'retired'])
  t.same(
    (await getJson(`${collector.apiUrl}/api/services/retired/operations`)).body.operations.map((o: { name: string }) => o.name),
    ['op0', 'op1', 'op2'],
  )
})

t.test('past the size limit the oldest data goes until the store fits', async (t) => {
  const collector = await startTestCollector({ retention: { maxBytes: 1_500_000, intervalMs: 3_600_000, batchSize: 200 } })
  t.teardown(() => collector.close())
  const store = collector.collector.store.retention!
  const base = Date.now() - HOUR_MS
  const traceIds: string[] = []
  // ~4 MB of spans, oldest first.
  for (let i = 0; i < 100; i++) traceIds.push(await sendTrace(collector.otlpUrl, 'size', base + i * 1000, 20, 2000))
  const before = await store.usedBytes()
  t.ok(before > 3_000_000, `stored ${before} bytes`)
  const deleted = await collector.collector.retention.runOnce()
  t.ok(deleted > 0, `${deleted} spans deleted`)
  t.ok((await store.usedBytes()) <= 1_500_000, `now ${await store.usedBytes()} bytes used`)
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${traceIds[0]}`)).status, 404, 'the oldest trace is gone')
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${traceIds[99]}`)).status, 200, 'the newest trace is kept')
})
