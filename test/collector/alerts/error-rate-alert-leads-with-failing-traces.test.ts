// An error-rate alert is investigated from its failures: its example traces (in the webhook and
// in /api/alerts, which the Alerts page shows) are the service's failing traces, most recent
// first, ahead of slow ones that did not fail; a latency alert still leads with the slowest.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { AlertEngine } from '../../../src/collector/alerts/alert-engine.js'
import { WebhookNotifier } from '../../../src/collector/alerts/alert-notifiers.js'
import { parseAlertRulesYaml } from '../../../src/collector/alerts/alert-rules-file.js'
import { accumulateSpans } from '../../../src/collector/metrics/red-accumulator.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { storedSpan } from '../metrics/stored-spans.js'

function span(traceId: string, service: string, endMs: number, durationMs: number, error: boolean): StoredSpan {
  return storedSpan({ traceId, spanId: traceId.slice(0, 16), service, name: 'POST /cart', endMs, durationMs, error })
}

const id = (tag: string) => tag.padEnd(32, '0')

t.test('an error-rate alert lists failing traces first, most recent first; a latency alert the slowest', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-alert-examples-'))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const rollups = new SqliteRedRollups(db)
  const received: Record<string, any>[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push(JSON.parse(body))
      res.end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const { rules } = parseAlertRulesYaml(
    'rules:\n  - {name: cart-errors, kind: error_rate, service: checkout, threshold: 0.1, window: 2m}\n  - {name: cart-slow, kind: duration_quantile, service: checkout, quantile: 0.99, threshold: 500ms, window: 2m}',
    'inline',
  )
  const now = 1_700_000_000_000
  // Over the last minute and a half of checkout: slow requests that succeed (1-2 s), and
  // quick failures 30 s, 60 s and 80 s ago; payments fails too, a second ago, but is another service.
  const spans = [
    span(id('a1'), 'checkout', now - 85_000, 2000, false),
    span(id('a2'), 'checkout', now - 45_000, 1500, false),
    span(id('a3'), 'checkout', now - 15_000, 1200, false),
    span(id('e80'), 'checkout', now - 80_000, 40, true),
    span(id('e60'), 'checkout', now - 60_000, 30, true),
    span(id('e30'), 'checkout', now - 30_000, 20, true),
    span(id('b1'), 'payments', now - 1_000, 10, true),
  ]
  for (let i = 0; i < 20; i++) spans.push(span(id(`c${i}`), 'checkout', now - 90_000 + i * 4000, 10, false))
  await rollups.merge(accumulateSpans(spans))
  const engine = new AlertEngine({
    rules,
    rollups,
    evaluationIntervalMs: 1000,
    resendIntervalMs: 60_000,
    notifiers: [new WebhookNotifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)],
    uiBaseUrl: () => 'http://ui.example:16686/',
    log: () => {},
    now: () => now,
  })
  await engine.evaluate(now)
  await engine.stop()
  const status = (name: string) => engine.status().find((r) => r.name === name)!
  t.equal(status('cart-errors').state, 'firing', '3 of 26 failed: over 10%')
  t.equal(status('cart-slow').state, 'firing')

  const errors = received.find((n) => n.rule.name === 'cart-errors')!
  const ids = errors.exampleTraces.map((e: { traceId: string }) => e.traceId)
  t.same(ids.slice(0, 3), [id('e30'), id('e60'), id('e80')], 'the webhook lists the failing traces first, the most recent first')
  t.ok(
    errors.exampleTraces.slice(0, 3).every((e: { error: boolean }) => e.error),
    'each marked as an error',
  )
  t.notOk(ids.includes(id('b1')), "another service's failure is not an example")
  t.same(ids.slice(3), [id('a1'), id('a2'), id('a3')], 'the slowest follow them')
  t.same(
    status('cart-errors').exampleTraces.map((e) => e.traceId),
    ids,
    'the Alerts page (/api/alerts) shows them in the same order',
  )

  const slow = received.find((n) => n.rule.name === 'cart-slow')!
  t.equal(slow.exampleTraces[0].traceId, id('a1'), 'a latency alert still leads with the slowest trace')
})
