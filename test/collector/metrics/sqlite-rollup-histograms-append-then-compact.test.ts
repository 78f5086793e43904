/**
 * SQLite merges a flushed cell's histogram into its stored row by appending
 * the (bucket, count) pairs, and adds them up into one pair per bucket once
 * the row's list would grow past a bound: a cell merged many times over reads
 * back with every bucket count right, and its stored row stays small.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { BUCKET_COUNT, DurationHistogram } from '../../../src/collector/metrics/duration-histogram.js'
import { accumulateSpans } from '../../../src/collector/metrics/red-accumulator.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { cartSpan } from './stored-spans.js'

t.test('a cell merged 300 times reads back every bucket count, and its stored histogram stays bounded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-red-append-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => db.close())
  const store = new SqliteRedRollups(db)
  const endMs = 1_700_000_005_000
  const storedBytes = db.prepare('SELECT length(histogram) AS n FROM red_rollups WHERE resolution_ms = 10000')
  const want = new DurationHistogram()
  let seed = 3
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
  let n = 0
  let grew = 0
  let shrank = 0
  let largest = 0
  let last = 0
  for (let flush = 0; flush < 300; flush++) {
    const spans: StoredSpan[] = []
    // A few spans a flush, over three orders of magnitude: many buckets in all, a few at a time.
    for (let i = 0; i < 1 + Math.floor(rnd() * 3); i++) {
      // Quarter milliseconds: sums stay exact whatever the order they are added in.
      const durationMs = Math.round(Math.exp(rnd() * 7) * 4) / 4
      spans.push(cartSpan(++n, endMs, durationMs))
      want.observe(durationMs)
    }
    await store.merge(accumulateSpans(spans))
    const bytes = (storedBytes.get() as { n: number }).n
    if (bytes > last) grew++
    if (bytes < last) shrank++
    largest = Math.max(largest, bytes)
    last = bytes
  }
  const [got] = await store.cells(10_000, endMs - 10_000, endMs + 1)
  t.equal(got?.requests, n, 'every span counted')
  t.same([...got!.histogram.counts], [...want.counts], 'every bucket count, whether its pairs were appended or added up')
  t.equal(got!.histogram.sumMs, want.sumMs)
  t.ok(grew > 100 && shrank > 3, `the stored list grew by appending (${grew} times) and was added up (${shrank} times)`)
  t.ok(largest <= BUCKET_COUNT * 8, `the stored histogram never held more than one pair per bucket's worth of bytes (${largest})`)
})
