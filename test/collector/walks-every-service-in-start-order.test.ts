/**
 * What needs spans of every service by start time (a search without a
 * service, retention of the oldest) gets them in start order across
 * services, however unevenly the services' spans are spread in time.
 */
import t from 'tap'
import { hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'
import type { JsonSpanInput } from './helpers.js'

/** 9000 spans: 'hot' has most, 'cold' and 'rare' a few, interleaved in time; every 700th span is the operation searched for. */
function interleavedSpans(now: number): {
  byService: Record<string, JsonSpanInput[]>
  wanted: Array<{ traceId: string; startMs: number }>
  starts: Array<{ service: string; startMs: number; traceId: string }>
} {
  const byService: Record<string, JsonSpanInput[]> = { hot: [], cold: [], rare: [] }
  const wanted: Array<{ traceId: string; startMs: number }> = []
  const starts: Array<{ service: string; startMs: number; traceId: string }> = []
  for (let n = 0; n < 9000; n++) {
    const service = n % 97 === 0 ? 'rare' : n % 5 === 0 ? 'cold' : 'hot'
    const traceId = hexId(16)
    const match = n % 700 === 3
    // Two spans every 2 ms, of different services: equal start times across services. A bound
    // between them (an odd number of ms before now) is clear of nanosecond rounding.
    const startMs = now - 2 * Math.floor(n / 2)
    if (match) wanted.push({ traceId, startMs })
    starts.push({ service, startMs, traceId })
    byService[service]!.push({ traceId, spanId: hexId(8), name: match ? 'wanted' : 'other', startMs, durationMs: 1 })
  }
  return { byService, wanted, starts }
}

t.test('a search without a service finds matches of every service, newest first', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const now = Date.now()
  const { byService, wanted, starts } = interleavedSpans(now)
  // The oldest spans are sent first, in several requests.
  for (const service of Object.keys(byService)) {
    const spans = byService[service]!.reverse()
    for (let i = 0; i < spans.length; i += 2000) {
      t.equal((await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ [service]: spans.slice(i, i + 2000) }))).status, 200)
    }
  }
  const store = collector.collector.store.spanReader
  const all = await store.findTraces({ operation: 'wanted', limit: 100, budgetMs: 60_000 })
  t.same(
    all.traces.map((tr) => tr.traceId),
    wanted.map((w) => w.traceId),
    `all ${wanted.length} found newest first`,
  )
  t.equal(all.incomplete, false)
  const some = await store.findTraces({ operation: 'wanted', limit: 4, budgetMs: 60_000 })
  t.same(
    some.traces.map((tr) => tr.traceId),
    wanted.slice(0, 4).map((w) => w.traceId),
    'a limit keeps the newest',
  )
  const newest = await store.findTraces({ limit: 50, budgetMs: 60_000 })
  t.same(new Set(newest.traces.map((tr) => tr.traceId)), new Set(starts.slice(0, 50).map((s) => s.traceId)), 'with no filter, the newest spans of all services')
  const window = await store.findTraces({ startUnixMs: now - 8001, endUnixMs: now - 2999, operation: 'wanted', limit: 100, budgetMs: 60_000 })
  const inWindow = wanted.filter((w) => w.startMs >= now - 8001 && w.startMs <= now - 2999)
  t.ok(inWindow.length > 1 && inWindow.length < wanted.length)
  t.same(
    window.traces.map((tr) => tr.traceId),
    inWindow.map((w) => w.traceId),
    'a time window keeps the matches in it, newest first',
  )
  const cold = await store.findTraces({ service: 'cold', limit: 3, budgetMs: 60_000 })
  t.same(
    cold.traces.map((tr) => tr.services),
    [['cold'], ['cold'], ['cold']],
    'a search with a service stays within it',
  )
})

t.test('retention by size removes the oldest spans of every service first', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const now = Date.now()
  const { byService, starts } = interleavedSpans(now)
  for (const [service, spans] of Object.entries(byService)) {
    t.equal((await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ [service]: spans }))).status, 200)
  }
  const retention = collector.collector.store.retention
  // 1000 spans go: the 1000 oldest, whatever their service.
  t.equal((await retention.deleteOldest(1000)).deleted, 1000)
  const gone = starts.slice(-1000)
  const left = starts.slice(0, -1000)
  const reader = collector.collector.store.spanReader
  for (const service of ['hot', 'cold', 'rare']) {
    const result = await reader.findTraces({ service, limit: 10_000, budgetMs: 60_000 })
    const oldest = Math.min(...result.traces.map((tr) => tr.startTimeUnixMs))
    const expectedOldest = Math.min(...left.filter((s) => s.service === service).map((s) => s.startMs))
    t.equal(result.traces.length, left.filter((s) => s.service === service).length, `${service}: its spans among the 1000 oldest are gone`)
    t.ok(Math.abs(oldest - expectedOldest) < 1, `${service}: the oldest left is the oldest not among them`)
  }
  t.ok(gone.some((s) => s.service === 'cold') && gone.some((s) => s.service === 'hot'), 'the spans removed were of more than one service')
  // By age: everything older than a moment goes, of every service.
  const cutoff = now - 6001
  let deleted = 0
  for (let step; (step = (await retention.deleteOlderThan(cutoff, 700)).deleted) > 0;) deleted += step
  t.equal(deleted, left.filter((s) => s.startMs < cutoff).length, 'retention by age removes every span older than the cutoff')
  const rest = await reader.findTraces({ limit: 10_000, budgetMs: 60_000 })
  t.equal(rest.traces.length, left.filter((s) => s.startMs >= cutoff).length, 'and no other')
})
