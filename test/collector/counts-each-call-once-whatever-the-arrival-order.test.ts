/**
 * Calls between services are counted as spans arrive, and the count is what
 * joining every child span to its parent would give: a child that arrives in
 * an earlier batch than its parent (another sidecar flushed first) is counted
 * once its parent arrives, and only once, whatever is retried; a window
 * cut inside a second counts to the microsecond; retention takes the calls of
 * the spans it deletes with them.
 */
import t from 'tap'
import { eventually } from './observability-process.js'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

const HOUR_MS = 3_600_000

async function edges(apiUrl: string, startMs: number, endMs: number): Promise<unknown[]> {
  const { status, body } = await getJson(`${apiUrl}/api/dependencies?start=${startMs}&end=${endMs}`)
  if (status !== 200) throw new Error(`/api/dependencies answered ${status}: ${JSON.stringify(body)}`)
  return body.edges as unknown[]
}

async function send(otlpUrl: string, request: unknown): Promise<void> {
  const res = await postJson(`${otlpUrl}/v1/traces`, request)
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(res.body)}`)
}

t.test('a child stored before its parent is counted when the parent arrives, once', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  // Starts in the middle of a second, so that windows can cut inside it.
  const start = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000 + 400
  const traceId = hexId(16)
  const parent = hexId(8)
  const child = hexId(8)
  const parentBatch = jsonTraceRequest({ gateway: [{ traceId, spanId: parent, name: 'GET /checkout', startMs: start, durationMs: 9 }] })
  const childBatch = jsonTraceRequest({
    orders: [
      { traceId, spanId: child, parentSpanId: parent, name: 'POST /orders', startMs: start + 1, durationMs: 5, status: 2 },
      // Same service as its parent: not a call between services.
      { traceId, spanId: hexId(8), parentSpanId: child, name: 'SELECT orders', startMs: start + 2, durationMs: 1 },
    ],
  })
  const around = [start - HOUR_MS, start + HOUR_MS] as const

  await send(collector.otlpUrl, childBatch)
  t.same(await edges(collector.apiUrl, ...around), [], 'no call while the parent span is missing')
  await send(collector.otlpUrl, parentBatch)
  const once = [{ parent: 'gateway', child: 'orders', callCount: 1, errorCount: 1 }]
  t.same(await edges(collector.apiUrl, ...around), once, 'the call is counted when the parent arrives')
  await send(collector.otlpUrl, childBatch)
  await send(collector.otlpUrl, parentBatch)
  t.same(await edges(collector.apiUrl, ...around), once, 'retried batches of either side count nothing more')

  // The window is on the child's start, to well under a millisecond: here inside one second (a Unix
  // time in ms as a double carries its nanoseconds only to a few hundred, so the edges are 1 µs off).
  t.same(await edges(collector.apiUrl, start + 0.9, start + 1.1), once, 'a window of 0.2 ms around the child start')
  t.same(await edges(collector.apiUrl, start + 0.5, start + 1 - 1e-3), [], 'a window ending a microsecond before it')
  t.same(await edges(collector.apiUrl, start + 1 + 1e-3, start + 1.5), [], 'a window starting a microsecond after it')
  t.same(await edges(collector.apiUrl, start + 1 - 2 * 60_000, start + 1.1), once, 'a window of whole minutes and seconds ending just after it')
})

t.test('parent and child in one batch, child first, and across batches both ways, each counted once', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const start = Date.now() - 10 * 60_000
  const calls: Array<{ traceId: string; parent: string; child: string }> = []
  for (let i = 0; i < 3; i++) calls.push({ traceId: hexId(16), parent: hexId(8), child: hexId(8) })
  const spansOf = (c: (typeof calls)[number], i: number) => ({
    gateway: [{ traceId: c.traceId, spanId: c.parent, name: 'GET /', startMs: start + i * 1000, durationMs: 5 }],
    payments: [{ traceId: c.traceId, spanId: c.child, parentSpanId: c.parent, name: 'POST /pay', startMs: start + i * 1000 + 1, durationMs: 2 }],
  })
  // 0: one batch with the child's resource first; 1: parent batch, then child batch; 2: child batch, then parent batch.
  const first = spansOf(calls[0]!, 0)
  await send(collector.otlpUrl, jsonTraceRequest({ payments: first.payments, gateway: first.gateway }))
  const second = spansOf(calls[1]!, 1)
  await send(collector.otlpUrl, jsonTraceRequest({ gateway: second.gateway }))
  await send(collector.otlpUrl, jsonTraceRequest({ payments: second.payments }))
  const third = spansOf(calls[2]!, 2)
  await send(collector.otlpUrl, jsonTraceRequest({ payments: third.payments }))
  await send(collector.otlpUrl, jsonTraceRequest({ gateway: third.gateway }))
  t.same(await edges(collector.apiUrl, start - 60_000, start + 60_000), [{ parent: 'gateway', child: 'payments', callCount: 3, errorCount: 0 }])
})

t.test('retention removes the calls of the spans it deletes', async (t) => {
  const collector = await startTestCollector({ retention: { maxAgeMs: 24 * HOUR_MS, intervalMs: HOUR_MS } })
  t.teardown(() => collector.close())
  if (collector.collector.store.retention === undefined) {
    t.skip(`${collector.collector.store.description}: the database expires whole days itself`)
    return
  }
  const now = Date.now()
  for (const at of [now - 48 * HOUR_MS, now - 47 * HOUR_MS, now - HOUR_MS]) {
    const traceId = hexId(16)
    const parent = hexId(8)
    // The child arrives first: it is counted when its parent is stored, and must go all the same.
    await send(
      collector.otlpUrl,
      jsonTraceRequest({ cart: [{ traceId, spanId: hexId(8), parentSpanId: parent, name: 'GET /cart', startMs: at + 1, durationMs: 1 }] }),
    )
    await send(collector.otlpUrl, jsonTraceRequest({ web: [{ traceId, spanId: parent, name: 'GET /', startMs: at, durationMs: 3 }] }))
  }
  const all = [now - 72 * HOUR_MS, now] as const
  t.same(await edges(collector.apiUrl, ...all), [{ parent: 'web', child: 'cart', callCount: 3, errorCount: 0 }], 'three calls before retention')
  await collector.collector.retention.runOnce()
  const left = await eventually('the old calls to go', async () => {
    const now = await edges(collector.apiUrl, ...all)
    return JSON.stringify(now) === JSON.stringify([{ parent: 'web', child: 'cart', callCount: 1, errorCount: 0 }]) ? now : undefined
  })
  t.same(left, [{ parent: 'web', child: 'cart', callCount: 1, errorCount: 0 }], 'the recent call stays')
  t.same(await edges(collector.apiUrl, now - 72 * HOUR_MS, now - 24 * HOUR_MS), [], 'none older than the retention age')
})
