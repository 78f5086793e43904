/**
 * `tracecar load` waits for a trace's every hop before explaining it: a CLIENT
 * span whose callee's SERVER span is still in that sidecar's next batch does not
 * let the trace settle (else the callee's time is blamed on the caller), and a
 * trace still missing a hop at the deadline is marked incomplete and left out of
 * "where the time went". Real collector, spans arriving over OTLP/HTTP.
 */
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import type autocannon from 'autocannon'
import { hexId, jsonTraceRequest, postJson, startTestCollector } from '../collector/helpers.js'
import type { JsonSpanInput } from '../collector/helpers.js'
import { CollectorQuery } from '../../src/load/collector-query.js'
import { awaitTraces } from '../../src/load/trace-arrival.js'
import { buildLoadReport } from '../../src/load/load-report.js'
import { formatLoadReport } from '../../src/load/format-load-report.js'
import { parseLoadOptions } from '../../src/load/load-options.js'
import { RequestOutcomes } from '../../src/load/request-outcomes.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const query = new CollectorQuery(collector.apiUrl)
const T0 = Date.now() - 30_000
const INVENTORY = { 'server.address': '127.0.0.1', 'server.port': 15007 }

/** One request's trace: checkout's SERVER span, its CLIENT call to inventory, inventory's SERVER span. */
function shopTrace(inventoryMs: number): { traceId: string; loadSpanId: string; checkout: JsonSpanInput[]; inventory: JsonSpanInput[] } {
  const traceId = hexId(16)
  const loadSpanId = hexId(8)
  const server = hexId(8)
  const client = hexId(8)
  return {
    traceId,
    loadSpanId,
    checkout: [
      { traceId, spanId: server, parentSpanId: loadSpanId, name: 'GET /checkout', kind: 2, startMs: T0, durationMs: inventoryMs + 20 },
      { traceId, spanId: client, parentSpanId: server, name: 'GET', kind: 3, startMs: T0 + 5, durationMs: inventoryMs + 10, attributes: INVENTORY },
    ],
    inventory: [{ traceId, spanId: hexId(8), parentSpanId: client, name: 'GET /stock', kind: 2, startMs: T0 + 10, durationMs: inventoryMs }],
  }
}

async function send(service: string, spans: JsonSpanInput[]): Promise<void> {
  const res = await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ [service]: spans }))
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status}`)
}

t.test("a CLIENT span waits for its callee's span that is still in the callee's next batch", async (t) => {
  const slow = shopTrace(900)
  await send('checkout', slow.checkout)
  // inventory's sidecar ships its batch 1.2 s after checkout's: far more than the 300 ms settle time.
  const late = sleep(1200).then(() => send('inventory', slow.inventory))
  const arrival = await awaitTraces(query, [slow.traceId], {
    deadlineMs: 8000,
    pollMs: 100,
    settleMs: 300,
    exportLagMs: 2500,
    loadSpanIds: new Map([[slow.traceId, slow.loadSpanId]]),
  })
  await late
  t.same(arrival.unsettled, [])
  t.equal(arrival.traces.get(slow.traceId)?.spans.length, 3, "inventory's span is part of the trace that was explained")
})

t.test('a CLIENT span to a traced peer whose child never arrives keeps its trace unsettled until the deadline', async (t) => {
  const whole = shopTrace(100)
  const cut = shopTrace(800)
  await send('checkout', [...whole.checkout, ...cut.checkout])
  await send('inventory', whole.inventory)
  const started = performance.now()
  const arrival = await awaitTraces(query, [whole.traceId, cut.traceId], {
    deadlineMs: 2000,
    pollMs: 100,
    settleMs: 300,
    exportLagMs: 60_000,
    loadSpanIds: new Map([
      [whole.traceId, whole.loadSpanId],
      [cut.traceId, cut.loadSpanId],
    ]),
  })
  t.same(arrival.unsettled, [cut.traceId], 'inventory is traced (the other trace shows it), so its missing span is a hop on its way')
  t.ok(performance.now() - started >= 2000, 'waited until the deadline')
})

t.test('a call to an untraced peer settles after one export delay, without waiting for the deadline', async (t) => {
  const traceId = hexId(16)
  const loadSpanId = hexId(8)
  const server = hexId(8)
  await send('checkout', [
    { traceId, spanId: server, parentSpanId: loadSpanId, name: 'GET /checkout', kind: 2, startMs: T0, durationMs: 50 },
    {
      traceId,
      spanId: hexId(8),
      parentSpanId: server,
      name: 'POST',
      kind: 3,
      startMs: T0 + 5,
      durationMs: 40,
      attributes: { 'server.address': 'api.payments.example', 'server.port': 443 },
    },
  ])
  const started = performance.now()
  const arrival = await awaitTraces(query, [traceId], {
    deadlineMs: 10_000,
    pollMs: 100,
    settleMs: 300,
    exportLagMs: 1000,
    loadSpanIds: new Map([[traceId, loadSpanId]]),
  })
  t.same(arrival.unsettled, [])
  const settledMs = performance.now() - started
  t.ok(settledMs < 5000, `settled after ${Math.round(settledMs)} ms`)
})

t.test('the report marks a trace missing a hop incomplete and leaves it out of where the time went', async (t) => {
  const whole = shopTrace(600)
  const cut = shopTrace(900)
  await send('checkout', [...whole.checkout, ...cut.checkout])
  await send('inventory', whole.inventory)
  const loadSpanIds = new Map([
    [whole.traceId, whole.loadSpanId],
    [cut.traceId, cut.loadSpanId],
  ])
  const arrival = await awaitTraces(query, [...loadSpanIds.keys()], { deadlineMs: 1500, pollMs: 100, settleMs: 300, exportLagMs: 60_000, loadSpanIds })
  const outcomes = new RequestOutcomes(10)
  outcomes.record({ traceId: cut.traceId, spanId: cut.loadSpanId, status: 200, failure: null, latencyMs: 925, atMs: 1000 })
  outcomes.record({ traceId: whole.traceId, spanId: whole.loadSpanId, status: 200, failure: null, latencyMs: 625, atMs: 2000 })
  const latency = { min: 625, average: 775, p50: 625, p90: 925, p97_5: 925, p99: 925, max: 925 } as autocannon.Histogram
  const result = {
    duration: 3,
    requests: { sent: 2, total: 2, average: 1, min: 1, max: 1 },
    latency,
    throughput: { average: 1, max: 1 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodeStats: { 200: { count: 2 } },
  } as unknown as autocannon.Result
  const run = { runId: 'run-0123456789ab', result, outcomes, startedAt: new Date(T0), finishedAt: new Date(T0 + 3000) }
  const report = buildLoadReport(run, parseLoadOptions(['http://127.0.0.1:1/', '--collector', collector.apiUrl]), { reachable: true, ...arrival, loadSpanIds })

  const [cutRow, wholeRow] = report.slowest
  t.equal(cutRow?.trace?.complete, false)
  t.equal(wholeRow?.trace?.complete, true)
  t.same(report.attribution.map((row) => `${row.service} ${row.operation}`)[0], 'inventory GET /stock', "the whole trace's time is on inventory")
  const checkoutShare = report.attribution.filter((row) => row.service === 'checkout').reduce((sum, row) => sum + row.share, 0)
  t.ok(checkoutShare < 0.1, `checkout is not blamed for the missing hop (${Math.round(checkoutShare * 100)}%)`)
  t.match(report.collector.message, /1 traces were still incomplete.*left out of where the time went/)
  const text = formatLoadReport(report)
  t.match(text, /self time over 1 traces; 1 incomplete left out/)
  t.match(text, new RegExp(`${cut.traceId}.*incomplete: a hop had not arrived`))
})
