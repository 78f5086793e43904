/**
 * A search answers the traces whose newest matching span is newest, exactly,
 * whatever the ages of the spans: seconds, minutes, hours and days old, one
 * ahead of the collector's clock, and traces whose newest span does not match
 * while an older one does. (The ClickHouse store searches the last minute
 * first and widens the window; this holds it to the same answer as one pass
 * over the whole range, and checks attributes on any span of the trace a
 * page of candidates at a time: the matches may lie past the first page.)
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'
import type { JsonSpanInput } from './helpers.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const api = collector.apiUrl
const NOW = Date.now()
const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** One trace of one span of `shop` per age, named by age; `ahead` starts 2 minutes in the future (another host's clock). */
const AGES = { ahead: -2 * MINUTE, s20: 20_000, m3: 3 * MINUTE, m30: 30 * MINUTE, h5: 5 * HOUR, d3: 72 * HOUR }
const traceOf = Object.fromEntries(Object.keys(AGES).map((name) => [name, hexId(16)])) as Record<keyof typeof AGES, string>
// `both`: its `GET /cart` span is 4 h old, its newest span (another operation) 5 s old; `cart`: `GET /cart` 1 h old.
const both = hexId(16)
const cart = hexId(16)
// 150 traces of `bulk`, one a second; only the 3 oldest have a span (of another service) with tier=rare.
const bulk = Array.from({ length: 150 }, () => hexId(16))

t.before(async () => {
  const spans: JsonSpanInput[] = Object.entries(AGES).map(([name, age]) => ({
    traceId: traceOf[name as keyof typeof AGES],
    spanId: hexId(8),
    name: 'GET /items',
    kind: 2,
    startMs: NOW - age,
    durationMs: 5,
  }))
  spans.push(
    { traceId: both, spanId: hexId(8), name: 'GET /cart', kind: 2, startMs: NOW - 4 * HOUR, durationMs: 5 },
    { traceId: both, spanId: hexId(8), name: 'GET /later', kind: 2, startMs: NOW - 5_000, durationMs: 5 },
    { traceId: cart, spanId: hexId(8), name: 'GET /cart', kind: 2, startMs: NOW - HOUR, durationMs: 5 },
  )
  const bulkSpans: JsonSpanInput[] = bulk.map((traceId, i) => ({
    traceId,
    spanId: hexId(8),
    name: 'GET /bulk',
    kind: 2,
    startMs: NOW - (i + 1) * 1000,
    durationMs: 5,
  }))
  const rareSpans: JsonSpanInput[] = bulk.slice(-3).map((traceId, i) => ({
    traceId,
    spanId: hexId(8),
    name: 'lookup',
    kind: 3,
    startMs: NOW - (148 + i) * 1000 + 1,
    durationMs: 1,
    attributes: { tier: 'rare' },
  }))
  const res = await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ shop: spans, bulk: bulkSpans, lookups: rareSpans }))
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status}`)
})

async function found(query: string): Promise<string[]> {
  const { status, body } = await getJson(`${api}/api/traces?${query}`)
  if (status !== 200) throw new Error(`${query}: ${status} ${JSON.stringify(body)}`)
  return body.traces.map((trace: { traceId: string }) => trace.traceId)
}

t.test('the newest traces first, however old the rest', async (t) => {
  t.same(await found('service=shop&operation=GET%20%2Fitems&limit=3'), [traceOf.ahead, traceOf.s20, traceOf.m3], 'limit 3')
  t.same(
    await found('service=shop&operation=GET%20%2Fitems&limit=10'),
    [traceOf.ahead, traceOf.s20, traceOf.m3, traceOf.m30, traceOf.h5, traceOf.d3],
    'every age, newest first',
  )
  t.same(await found('service=shop&limit=2'), [traceOf.ahead, both], 'without an operation, a trace ranks by its newest span')
})

t.test('a trace ranks by its newest span that matches, not its newest span', async (t) => {
  t.same(await found('service=shop&operation=GET%20%2Fcart&limit=1'), [cart], 'the 1 h old match before the 4 h old one')
  t.same(await found('service=shop&operation=GET%20%2Fcart&limit=5'), [cart, both], 'both, in that order')
})

t.test('a window that ends in the past', async (t) => {
  t.same(await found(`service=shop&operation=GET%20%2Fitems&end=${NOW - 2 * MINUTE}&limit=2`), [traceOf.m3, traceOf.m30], 'ending 2 minutes ago')
  t.same(
    await found(`service=shop&operation=GET%20%2Fitems&start=${NOW - 6 * HOUR}&end=${NOW - 10 * MINUTE}&limit=5`),
    [traceOf.m30, traceOf.h5],
    'from 6 h to 10 minutes ago',
  )
})

t.test('an attribute on another span, found past the newest hundred traces', async (t) => {
  t.same(await found('service=bulk&attr=tier=rare&limit=2'), bulk.slice(-3, -1), 'the two newest of the three')
  t.same(await found('service=bulk&attr=tier=rare&limit=20'), bulk.slice(-3), 'all three, newest first')
  t.same(await found('service=bulk&attr=tier=common&limit=20'), [], 'none')
})
