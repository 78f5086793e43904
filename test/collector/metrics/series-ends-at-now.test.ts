// A metrics series asked for a window reaching into the future stops at now: no zero buckets
// after it (they would say traffic stopped), and the bucket holding now is marked unfinished,
// its rate over the part of it that has passed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { hexOf, storedSpan } from './stored-spans.js'
import { accumulateSpans } from '../../../src/collector/metrics/red-accumulator.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'
import { series } from '../../../src/collector/metrics/red-queries.js'

function span(i: number, endMs: number, error: boolean): StoredSpan {
  return storedSpan({
    traceId: hexOf(i, 32),
    spanId: hexOf(i, 16),
    service: 'checkout',
    name: 'GET /a',
    endMs,
    durationMs: 5,
    error,
    resource: { 'service.name': 'checkout' },
  })
}

t.test('a series stops at now and marks the bucket still filling', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-series-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => db.close())
  const store = new SqliteRedRollups(db)
  const base = 1_700_000_000_000
  // One request a second for 60 s, then one failing request 4 s into the bucket holding "now".
  const spans = Array.from({ length: 60 }, (_, i) => span(i + 1, base + i * 1000 + 500, false))
  spans.push(span(100, base + 60_000 + 4_000, true))
  await store.merge(accumulateSpans(spans))
  const now = base + 65_000
  // Two minutes from the first request, with a 10 s step: its last 55 s lie in the future.
  const s = await series(store, { service: 'checkout' }, base, base + 120_000, 12, now)
  t.equal(s.stepMs, 10_000)
  const last = s.points[s.points.length - 1]!
  t.ok(
    s.points.every((p) => p.t <= now),
    'no bucket starts after now',
  )
  t.equal(last.t, base + 60_000, 'the last bucket is the one holding now')
  t.equal(last.unfinished, true, 'and it is marked unfinished')
  t.ok(
    s.points.slice(0, -1).every((p) => !p.unfinished),
    'the buckets before it are finished',
  )
  t.equal(last.ratePerSec, 0.2, 'its rate is over the 5 s that have passed (1 request), not over 10 s')
  t.equal(
    s.points.reduce((a, p) => a + p.requests, 0),
    61,
    'every request counted once',
  )

  const past = await series(store, { service: 'checkout' }, base, base + 60_000, 12, now)
  t.ok(
    past.points.every((p) => !p.unfinished),
    'a window wholly in the past has no unfinished bucket',
  )
  t.equal(past.points.length, 6)
})
