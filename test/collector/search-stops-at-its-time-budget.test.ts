/**
 * A search whose filters match almost nothing stops at its time budget and
 * says so, instead of holding the thread that ingest also needs.
 */
import t from 'tap'
import { hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

t.test('an unmatched search over many spans ends at the budget, marked incomplete', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const now = Date.now()
  for (let b = 0; b < 10; b++) {
    const spans = Array.from({ length: 500 }, (_, i) => ({
      traceId: hexId(16),
      spanId: hexId(8),
      name: 'op',
      startMs: now - b * 1000 - i,
      durationMs: 1,
      attributes: { tier: 'standard' },
    }))
    const res = await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ many: spans }))
    t.equal(res.status, 200)
  }
  const store = collector.collector.store.spanReader
  const exhausted = await store.findTraces({ service: 'many', attributes: [{ key: 'tier', value: 'platinum' }], limit: 20, budgetMs: 60_000 })
  t.same(exhausted, { traces: [], incomplete: false }, 'with time to spare, every candidate is examined')
  const cut = await store.findTraces({ service: 'many', attributes: [{ key: 'tier', value: 'platinum' }], limit: 20, budgetMs: 0 })
  t.same(cut, { traces: [], incomplete: true }, 'with no time, it stops and says so')
  const found = await store.findTraces({ service: 'many', attributes: [{ key: 'tier', value: 'standard' }], limit: 5, budgetMs: 0 })
  t.equal(found.traces.length, 5, 'matches found before the first clock check are returned')
})

t.test('a search walks past the first scan step to older matches, in order', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const now = Date.now()
  const rare: string[] = []
  // 45 000 spans, newest first in time; every 10 000th is the operation searched for.
  for (let b = 0; b < 9; b++) {
    const spans = Array.from({ length: 5000 }, (_, i) => {
      const n = b * 5000 + i
      const traceId = hexId(16)
      if (n % 10_000 === 9_999) rare.push(traceId)
      return { traceId, spanId: hexId(8), name: n % 10_000 === 9_999 ? 'rare' : 'common', startMs: now - n, durationMs: 1 }
    })
    const res = await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ deep: spans }))
    t.equal(res.status, 200)
  }
  const store = collector.collector.store.spanReader
  for (const service of ['deep', undefined]) {
    const result = await store.findTraces({ service, operation: 'rare', limit: 20, budgetMs: 60_000 })
    t.same(
      result.traces.map((tr) => tr.traceId),
      rare,
      `all ${rare.length} found newest first (service ${service ?? 'any'})`,
    )
    t.equal(result.incomplete, false)
  }
  const limited = await store.findTraces({ operation: 'rare', limit: 3, budgetMs: 60_000 })
  t.same(
    limited.traces.map((tr) => tr.traceId),
    rare.slice(0, 3),
  )
})
