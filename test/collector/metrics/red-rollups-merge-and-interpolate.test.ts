import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { hexOf, storedSpan } from './stored-spans.js'
import { DurationHistogram } from '../../../src/collector/metrics/duration-histogram.js'
import { accumulateSpans } from '../../../src/collector/metrics/red-accumulator.js'
import { mergeCell } from '../../../src/collector/metrics/red-rollup.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'
import { series, servicesTable, windowSummary } from '../../../src/collector/metrics/red-queries.js'

const BUCKET_RATIO = 2 ** 0.25

function span(i: number, service: string, name: string, endMs: number, durationMs: number, error: boolean, status?: number): StoredSpan {
  const attributes = status === undefined ? {} : { 'http.response.status_code': status }
  return storedSpan({ traceId: hexOf(i, 32), spanId: hexOf(i, 16), service, name, endMs, durationMs, error, attributes, resource: { 'service.name': service } })
}

/** Nearest-rank quantile, the textbook definition. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!
}

t.test('histogram quantiles fall within one bucket of the exact value', async (t) => {
  let seed = 7
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  for (const shape of ['uniform', 'lognormal', 'bimodal']) {
    const values: number[] = []
    for (let i = 0; i < 5000; i++) {
      const u = rnd()
      values.push(
        shape === 'uniform' ? 1 + u * 999 : shape === 'lognormal' ? Math.exp(3 + 1.5 * (u + rnd() + rnd() - 1.5)) : u < 0.9 ? 5 + rnd() * 5 : 800 + rnd() * 400,
      )
    }
    const h = new DurationHistogram()
    for (const v of values) h.observe(v)
    const sorted = [...values].sort((a, b) => a - b)
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const est = h.quantile(q)
      const exact = exactQuantile(sorted, q)
      t.ok(est <= exact * BUCKET_RATIO && est >= exact / BUCKET_RATIO, `${shape} p${q * 100}: estimate ${est.toFixed(2)} vs exact ${exact.toFixed(2)}`)
    }
  }
})

t.test('rollups merged batch by batch in SQLite match counts and quantiles of the spans', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-red-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => db.close())
  const store = new SqliteRedRollups(db)
  const base = 1_700_000_000_000
  const spans: StoredSpan[] = []
  for (let i = 1; i <= 3000; i++) {
    const slow = i % 50 === 0
    const error = i % 20 === 0
    spans.push(
      span(
        i,
        i % 3 === 0 ? 'cart' : 'checkout',
        i % 2 === 0 ? 'GET /a' : 'POST /b',
        base + (i % 600) * 100,
        slow ? 700 + (i % 7) : 3 + (i % 40),
        error,
        error ? 503 : 200,
      ),
    )
  }
  // Several batches, so rows are merged with what is stored.
  for (let i = 0; i < spans.length; i += 250) await store.merge(accumulateSpans(spans.slice(i, i + 250)))
  const rows = await servicesTable(store, base - 60_000, base + 120_000)
  t.equal(rows.length, 4, 'one row per service and operation')
  for (const row of rows) {
    const mine = spans.filter((s) => s.service === row.service && s.name === row.operation)
    const sorted = mine.map((s) => s.durationMs).sort((a, b) => a - b)
    t.equal(row.requests, mine.length, `${row.service} ${row.operation} requests`)
    t.equal(row.errorRate, mine.filter((s) => s.status.code === 'ERROR').length / mine.length, 'error rate')
    t.equal(
      row.spark.reduce((a, b) => a + b, 0),
      mine.length,
      'sparkline sums to the count',
    )
    for (const [q, v] of [
      [0.5, row.p50Ms],
      [0.95, row.p95Ms],
      [0.99, row.p99Ms],
    ] as const) {
      const exact = exactQuantile(sorted, q)
      t.ok(v! <= exact * BUCKET_RATIO && v! >= exact / BUCKET_RATIO, `${row.service} ${row.operation} p${q * 100} ${v} vs ${exact}`)
    }
  }
  const s = await series(store, { service: 'checkout' }, base, base + 60_000)
  t.equal(s.stepMs, 10_000)
  t.equal(
    s.points.reduce((a, p) => a + p.requests, 0),
    spans.filter((x) => x.service === 'checkout' && x.endTimeUnixMs < base + 60_000).length,
  )
  const w = await windowSummary(store, { service: 'checkout', operation: 'GET /a' }, base, base + 60_000)
  const slowest = spans
    .filter((x) => x.service === 'checkout' && x.name === 'GET /a' && x.endTimeUnixMs < base + 60_000)
    .sort((a, b) => b.durationMs - a.durationMs)[0]!
  t.equal(w.exampleTraces[0]!.durationMs, slowest.durationMs, 'the slowest trace of the window comes first')
  t.ok(
    w.exampleTraces.some((e) => e.error),
    'a failing trace is among the examples',
  )
})

t.test('a cell merged into its stored row in SQLite holds what merging the two cells in memory gives', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-red-upsert-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => db.close())
  const store = new SqliteRedRollups(db)
  const end = 1_700_000_005_000
  // First a batch without errors (no failing example yet), then one whose spans are both faster
  // and slower, with a failure, and durations in buckets the first did not use; one status class, so one cell.
  const first = [span(1, 'cart', 'GET /a', end, 4, false, 200), span(2, 'cart', 'GET /a', end, 40, false, 200)]
  const second = [
    span(3, 'cart', 'GET /a', end, 0.5, false, 200),
    span(4, 'cart', 'GET /a', end, 900, true, 200),
    span(5, 'cart', 'GET /a', end, 40, false, 200),
  ]
  await store.merge(accumulateSpans(first))
  await store.merge(accumulateSpans(second))
  const expected = accumulateSpans(first)
  const more = accumulateSpans(second)
  for (let i = 0; i < expected.length; i++) mergeCell(expected[i]!, more[i]!)
  for (const want of expected) {
    const [got] = await store.cells(want.resolutionMs, want.bucketStartMs, want.bucketStartMs + 1)
    t.ok(got, `the ${want.resolutionMs} ms row is stored`)
    t.match(
      { requests: got!.requests, errors: got!.errors, slowest: got!.slowestTraceId, failing: got!.errorTraceId, errorMs: got!.errorMs },
      { requests: 5, errors: 1, slowest: want.slowestTraceId, failing: want.errorTraceId, errorMs: 900 },
      'counts and example traces',
    )
    t.same(
      [got!.histogram.minMs, got!.histogram.maxMs, got!.histogram.sumMs, [...got!.histogram.counts]],
      [want.histogram.minMs, want.histogram.maxMs, want.histogram.sumMs, [...want.histogram.counts]],
      'min, max, sum and every bucket count',
    )
  }
})

t.test('rollups have their own retention per resolution; long ranges read the 1 min rollups', async (t) => {
  const { RedMetrics } = await import('../../../src/collector/metrics/red-metrics.js')
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-red-ret-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => db.close())
  const red = new RedMetrics({ store: new SqliteRedRollups(db), log: () => {}, retentionMs: { 10_000: 3600_000, 60_000: 48 * 3600_000 } })
  const now = Date.now()
  const old = now - 5 * 3600_000
  red.onMeasuredSpans([span(1, 'cart', 'GET /a', old, 5, false), span(2, 'cart', 'GET /a', now - 1000, 5, false)])
  await red.flush()
  t.equal((await red.store.cells(10_000, 0, now + 1)).length, 2)
  const deleted = await red.applyRetention(now)
  t.equal(deleted, 1, 'the 10 s row older than 1 h is deleted')
  t.equal((await red.store.cells(10_000, 0, now + 1)).length, 1)
  t.equal((await red.store.cells(60_000, 0, now + 1)).length, 2, 'the 1 min rows are kept 48 h')
  const rows = await servicesTable(red.store, now - 6 * 3600_000, now)
  t.equal(rows[0]!.requests, 2, 'a 6 h range reads the 1 min rollups and still sees the old span')
  await red.stop()
})
