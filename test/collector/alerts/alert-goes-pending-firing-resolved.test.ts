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
import { stepAlert, INITIAL_ALERT_STATE } from '../../../src/collector/alerts/alert-state.js'
import { accumulateSpans } from '../../../src/collector/metrics/red-rollup.js'
import { RedRollupStore } from '../../../src/collector/metrics/red-rollup-store.js'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'

t.test('state machine: pending waits for `for`, a pending alert clears quietly, a firing one resolves', async (t) => {
  let s = stepAlert(INITIAL_ALERT_STATE, true, 1000, 5000)
  t.same([s.next.state, s.transition], ['pending', 'pending'])
  s = stepAlert(s.next, true, 4000, 5000)
  t.same([s.next.state, s.transition], ['pending', 'none'])
  s = stepAlert(s.next, true, 6000, 5000)
  t.same([s.next.state, s.transition, s.next.activeAt], ['firing', 'firing', 1000])
  s = stepAlert(s.next, false, 7000, 5000)
  t.same([s.next.state, s.transition], ['inactive', 'resolved'])
  const p = stepAlert(stepAlert(INITIAL_ALERT_STATE, true, 0, 5000).next, false, 1000, 5000)
  t.same([p.next.state, p.transition], ['inactive', 'cleared'])
  t.same(stepAlert(INITIAL_ALERT_STATE, true, 0, 0).transition, 'firing', 'for: 0 fires at once')
})

function span(i: number, endMs: number, durationMs: number, error = false): StoredSpan {
  return {
    traceId: i.toString(16).padStart(32, 'a'), spanId: i.toString(16).padStart(16, '0'), parentSpanId: null, name: 'POST /cart', kind: 'SERVER', service: 'checkout',
    startTimeUnixMs: endMs - durationMs, endTimeUnixMs: endMs, durationMs, startTimeUnixNano: '0', endTimeUnixNano: '0', traceState: '',
    status: { code: error ? 'ERROR' : 'UNSET', message: '' }, attributes: {}, resource: {}, scope: { name: '', version: '' }, events: [], links: [],
  }
}

t.test('engine on real rollups notifies a real webhook with trace and log links', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-alerts-'))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const rollups = new RedRollupStore(db)
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
    'rules:\n  - {name: cart-slow, kind: duration_quantile, service: checkout, operation: POST /cart, quantile: 0.9, threshold: 200ms, window: 30s, for: 20s}\n  - {name: cart-errors, kind: error_rate, service: checkout, threshold: 0.2, window: 30s}',
    'inline',
  )
  let now = 1_700_000_000_000
  const engine = new AlertEngine({
    rules, rollups, evaluationIntervalMs: 1000, resendIntervalMs: 60_000,
    notifiers: [new WebhookNotifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)],
    uiBaseUrl: () => 'http://ui.example:16686/', log: () => {}, now: () => now,
  })
  const state = (name: string) => engine.status().find((r) => r.name === name)!
  let id = 1
  const traffic = (durationMs: number, count: number, errors = 0): void => {
    const spans: StoredSpan[] = []
    for (let i = 0; i < count; i++) spans.push(span(id++, now - 100, durationMs + i, i < errors))
    rollups.merge(accumulateSpans(spans))
  }
  traffic(20, 20)
  engine.evaluate(now)
  t.equal(state('cart-slow').state, 'inactive')
  t.ok(state('cart-slow').value! < 200)
  now += 5000
  traffic(500, 50)
  engine.evaluate(now)
  t.equal(state('cart-slow').state, 'pending', 'latency injected: pending')
  now += 25_000
  traffic(500, 50)
  engine.evaluate(now)
  t.equal(state('cart-slow').state, 'firing', 'still slow after `for`: firing')
  t.equal(state('cart-errors').state, 'inactive')
  now += 60_000
  traffic(20, 50)
  engine.evaluate(now)
  t.equal(state('cart-slow').state, 'inactive', 'latency removed: resolved')
  await engine.stop()
  t.equal(received.length, 2, 'one notice firing, one resolved')
  const [firing, resolved] = received
  t.match(firing, { version: 'tracecar.alert/v1', status: 'firing', rule: { name: 'cart-slow', kind: 'duration_quantile', threshold: 200 }, unit: 'ms', endsAt: null })
  t.match(firing!.summary, /p90 duration of checkout POST \/cart is [\d.]+ ms > 200 ms over 30s/)
  t.ok(firing!.value > 200)
  const ex = firing!.exampleTraces[0]
  t.ok(ex.durationMs >= 500, 'the slowest trace of the window is the first example')
  t.equal(ex.traceUrl, `http://ui.example:16686/trace/${ex.traceId}`)
  t.equal(ex.logsUrl, `http://ui.example:16686/trace/${ex.traceId}?tab=logs`)
  t.match(resolved, { status: 'resolved', rule: { name: 'cart-slow' } })
  t.type(resolved!.endsAt, 'string')
  t.same(resolved!.exampleTraces, firing!.exampleTraces, 'the resolution links the traces that fired it')
})
