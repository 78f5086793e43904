/**
 * Spans scattered over ten minutes, in batches through the RED listener with
 * flushes at arbitrary points, end up in SQLite as the rollups a plain count
 * of every span gives: per cell the requests, errors, duration sum/min/max,
 * every histogram bucket and the example traces (the slowest span, the
 * slowest failing one, the first of equals).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { hexOf, storedSpan } from './stored-spans.js'
import { DurationHistogram } from '../../../src/collector/metrics/duration-histogram.js'
import { RedMetrics } from '../../../src/collector/metrics/red-metrics.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'

const SERVICES = ['cart', 'payments']
const NAMES = ['GET /cart', 'SELECT items']
const KINDS = ['SERVER', 'CLIENT']

interface Expected {
  requests: number
  errors: number
  histogram: DurationHistogram
  slowestTraceId: string
  slowestMs: number
  errorTraceId: string
  errorMs: number
}

/** The status class as the API documents it, spelled out here rather than taken from the code under test. */
function statusClass(httpStatus: number | undefined, error: boolean): string {
  if (httpStatus !== undefined) return `${String(httpStatus)[0]}xx`
  return error ? 'error' : 'ok'
}

t.test('rollups of scattered batches, flushed at arbitrary points, equal a plain count of every span', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-red-scattered-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => db.close())
  const red = new RedMetrics({ store: new SqliteRedRollups(db), log: () => {} })
  let seed = 42
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const now = Date.now()
  const expected = new Map<string, Expected>()
  let n = 0
  for (let batch = 0; batch < 150; batch++) {
    const spans: StoredSpan[] = []
    for (let i = 0; i < 1 + Math.floor(rnd() * 200); i++) {
      n++
      const traceId = n.toString(16).padStart(32, '0')
      // Half-millisecond durations (sums stay exact whatever the order they are added in), some equal, some 0.
      const durationMs = rnd() < 0.2 ? 7 : Math.floor(rnd() * rnd() * 4000) / 2
      const endMs = now - Math.floor(rnd() * 600_000)
      const error = rnd() < 0.2
      const httpStatus = rnd() < 0.5 ? undefined : pick([200, 201, 404, 503])
      const span = storedSpan({
        traceId,
        spanId: hexOf(n, 16),
        // In the order the random picks were always made: the same seed gives the same spans.
        name: pick(NAMES),
        kind: pick(KINDS),
        service: pick(SERVICES),
        endMs,
        durationMs,
        error,
        attributes: httpStatus === undefined ? {} : { 'http.response.status_code': httpStatus },
        resource: { 'service.name': 'x' },
      })
      spans.push(span)
      for (const resolutionMs of [10_000, 60_000]) {
        const bucketStartMs = Math.floor(endMs / resolutionMs) * resolutionMs
        const id = [resolutionMs, bucketStartMs, span.service, span.name, span.kind, statusClass(httpStatus, error)].join('|')
        let e = expected.get(id)
        if (e === undefined) {
          e = { requests: 0, errors: 0, histogram: new DurationHistogram(), slowestTraceId: '', slowestMs: -1, errorTraceId: '', errorMs: -1 }
          expected.set(id, e)
        }
        e.requests++
        e.histogram.observe(durationMs)
        if (durationMs > e.slowestMs) [e.slowestMs, e.slowestTraceId] = [durationMs, traceId]
        if (error) {
          e.errors++
          if (durationMs > e.errorMs) [e.errorMs, e.errorTraceId] = [durationMs, traceId]
        }
      }
    }
    red.onMeasuredSpans(spans)
    if (rnd() < 0.3) await red.flush()
  }
  await red.flush()

  let checked = 0
  for (const resolutionMs of [10_000, 60_000]) {
    const cells = await red.store.cells(resolutionMs, 0, now + 1)
    for (const c of cells) {
      const id = [resolutionMs, c.bucketStartMs, c.service, c.operation, c.spanKind, c.statusClass].join('|')
      const e = expected.get(id)
      if (!t.ok(e, `cell ${id} is one the spans make`)) continue
      const h = c.histogram
      const same =
        c.requests === e!.requests &&
        c.errors === e!.errors &&
        h.sumMs === e!.histogram.sumMs &&
        h.minMs === e!.histogram.minMs &&
        h.maxMs === e!.histogram.maxMs &&
        h.counts.every((count, i) => count === e!.histogram.counts[i]) &&
        c.slowestTraceId === e!.slowestTraceId &&
        c.slowestMs === e!.slowestMs &&
        c.errorTraceId === e!.errorTraceId &&
        c.errorMs === e!.errorMs
      if (!same) t.fail(`cell ${id} differs`, { found: c, wanted: e })
      checked++
    }
  }
  t.equal(checked, expected.size, `every one of the ${expected.size} cells stored, and as counted`)
})
