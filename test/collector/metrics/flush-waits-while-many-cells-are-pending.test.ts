/**
 * When the RED rollups reach the store: every flush interval while few
 * cells are pending; while many are (spans scattered in time), up to the
 * longest interval, so later spans add into the same cells; at once past the
 * memory bound. A read flushes first, so what it answers is never behind.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { Test } from 'tap'
import { RedMetrics } from '../../../src/collector/metrics/red-metrics.js'
import type { RedMetricsOptions } from '../../../src/collector/metrics/red-metrics.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { cartSpan } from './stored-spans.js'

/** `count` spans a minute apart (two cells each: 10 s and 1 min), ending before `nowMs`. */
function scattered(count: number, nowMs: number): StoredSpan[] {
  return Array.from({ length: count }, (_, i) => cartSpan(i + 1, nowMs - (i + 1) * 60_000))
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function open(t: Test, options: Partial<RedMetricsOptions>): { red: RedMetrics; storedRequests: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-red-flush-'))
  const db = new Database(join(dir, 'x.db'))
  const red = new RedMetrics({ store: new SqliteRedRollups(db), log: () => {}, ...options })
  t.teardown(async () => {
    await red.stop()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const storedRequests = (): number =>
    (db.prepare('SELECT COALESCE(SUM(requests), 0) AS n FROM red_rollups WHERE resolution_ms = 10000').get() as { n: number }).n
  return { red, storedRequests }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(20)
  }
}

t.test('few pending cells are written at the next flush interval', async (t) => {
  const { red, storedRequests } = open(t, { flushIntervalMs: 50, deferAboveCells: 100, maxFlushIntervalMs: 60_000 })
  red.start()
  red.onMeasuredSpans(scattered(10, Date.now()))
  t.equal(storedRequests(), 0, 'nothing written while the batch is ingested')
  await until('the flush', () => storedRequests() === 10)
  t.pass('written by the timer, long before the longest interval')
})

t.test('many pending cells wait for the longest interval, but a read still sees them', async (t) => {
  const { red, storedRequests } = open(t, { flushIntervalMs: 50, deferAboveCells: 100, maxFlushIntervalMs: 1500 })
  red.start()
  const now = Date.now()
  red.onMeasuredSpans(scattered(80, now))
  t.equal(red.pendingCells, 160)
  await sleep(600)
  t.equal(storedRequests(), 0, 'after 12 flush intervals the 160 cells still wait')
  red.onMeasuredSpans(scattered(80, now))
  t.equal(red.pendingCells, 160, 'the same spans again add into the same cells')
  await until('the longest interval', () => storedRequests() === 160)
  t.equal(red.pendingCells, 0)

  red.onMeasuredSpans(scattered(80, now))
  const res = await fetch(`http://127.0.0.1:${await serve(t, red)}/api/metrics/services?start=${Date.now() - 3 * 3600_000}&end=${Date.now()}`)
  const { rows } = (await res.json()) as { rows: Array<{ requests: number }> }
  t.equal(rows[0]?.requests, 240, 'a query answers with the spans still pending')
})

t.test('past the memory bound a flush happens at once', async (t) => {
  const { red, storedRequests } = open(t, { flushIntervalMs: 60_000, maxFlushIntervalMs: 60_000, deferAboveCells: 10, maxPendingCells: 100 })
  red.start()
  const now = Date.now()
  red.onMeasuredSpans(scattered(40, now))
  await sleep(0)
  t.equal(storedRequests(), 0, '80 cells wait')
  red.onMeasuredSpans(scattered(20, now - 3 * 3600_000))
  await until('the flush', () => storedRequests() === 60)
  t.equal(red.pendingCells, 0, '120 cells were written without waiting for a timer')
})

/** The listener's routes on a plain HTTP server, as the collector serves them. */
async function serve(t: Test, red: RedMetrics): Promise<number> {
  const { createServer } = await import('node:http')
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const route = red.routes.find((r) => r.method === req.method && r.path === url.pathname)
    if (route === undefined) res.writeHead(404).end()
    else void route.handle(req, res, {}, url)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as { port: number }).port
}
