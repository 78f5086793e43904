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
import { accumulateSpans } from '../../../src/collector/metrics/red-accumulator.js'
import { SqliteRedRollups } from '../../../src/collector/store/sqlite/sqlite-red-rollups.js'
import type { StoredSpan } from '../../../src/collector/model/stored-span.js'
import { hexOf, storedSpan } from '../metrics/stored-spans.js'

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
  return storedSpan({ traceId: hexOf(i, 32, 'a'), spanId: hexOf(i, 16), service: 'checkout', name: 'POST /cart', endMs, durationMs, error })
}

t.test('engine on real rollups notifies a real webhook with trace and log links', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-alerts-'))
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
    'rules:\n  - {name: cart-slow, kind: duration_quantile, service: checkout, operation: POST /cart, quantile: 0.9, threshold: 200ms, window: 30s, for: 20s}\n  - {name: cart-errors, kind: error_rate, service: checkout, threshold: 0.2, window: 30s}',
    'inline',
  )
  let now = 1_700_000_000_000
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
  const state = (name: string) => engine.status().find((r) => r.name === name)!
  let id = 1
  const traffic = async (durationMs: number, count: number, errors = 0): Promise<void> => {
    const spans: StoredSpan[] = []
    for (let i = 0; i < count; i++) spans.push(span(id++, now - 100, durationMs + i, i < errors))
    await rollups.merge(accumulateSpans(spans))
  }
  await traffic(20, 20)
  await engine.evaluate(now)
  t.equal(state('cart-slow').state, 'inactive')
  t.ok(state('cart-slow').value! < 200)
  now += 5000
  await traffic(500, 50)
  await engine.evaluate(now)
  t.equal(state('cart-slow').state, 'pending', 'latency injected: pending')
  now += 25_000
  await traffic(500, 50)
  await engine.evaluate(now)
  t.equal(state('cart-slow').state, 'firing', 'still slow after `for`: firing')
  t.equal(state('cart-errors').state, 'inactive')
  now += 60_000
  await traffic(20, 50)
  await engine.evaluate(now)
  t.equal(state('cart-slow').state, 'inactive', 'latency removed: resolved')
  await engine.stop()
  t.equal(received.length, 2, 'one notice firing, one resolved')
  const [firing, resolved] = received
  t.match(firing, {
    version: 'tracecar.alert/v1',
    status: 'firing',
    rule: { name: 'cart-slow', kind: 'duration_quantile', threshold: 200 },
    unit: 'ms',
    endsAt: null,
  })
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

t.test('Alertmanager shape: firing alerts are re-sent with endsAt ahead, a resolution once with endsAt now; a dead receiver is logged once', async (t) => {
  const { AlertmanagerNotifier } = await import('../../../src/collector/alerts/alert-notifiers.js')
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-am-shape-'))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const rollups = new SqliteRedRollups(db)
  const posts: { path: string; body: any[] }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: JSON.parse(body) })
      res.end('{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => server.close())
  const lines: string[] = []
  const { rules } = parseAlertRulesYaml(
    'rules:\n  - {name: errors, kind: error_rate, service: checkout, threshold: "10%", window: 30s, labels: {team: cart}, annotations: {runbook: "https://x"}}',
    'inline',
  )
  let now = 1_700_000_000_000
  const engine = new AlertEngine({
    rules,
    rollups,
    evaluationIntervalMs: 1000,
    resendIntervalMs: 5000,
    notifiers: [
      new AlertmanagerNotifier(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, 20_000),
      new AlertmanagerNotifier('http://127.0.0.1:9/', 20_000),
    ],
    uiBaseUrl: () => 'http://ui',
    log: (l) => lines.push(l),
    now: () => now,
  })
  let id = 1
  const traffic = async (errors: number): Promise<void> => {
    const spans: StoredSpan[] = []
    for (let i = 0; i < 10; i++) spans.push(span(id++, now - 100, 10 + i, i < errors))
    await rollups.merge(accumulateSpans(spans))
  }
  await traffic(5)
  await engine.evaluate(now)
  now += 6000
  await traffic(5)
  await engine.evaluate(now)
  now += 60_000
  await traffic(0)
  await engine.evaluate(now)
  await engine.stop(20_000)
  t.ok(
    posts.every((p) => p.path === '/api/v2/alerts'),
    'posted to /api/v2/alerts',
  )
  const [fired, resent, resolved] = posts.map((p) => p.body[0])
  t.equal(posts.length, 3, 'fired, re-sent once, resolved')
  t.match(fired, {
    labels: { alertname: 'errors', service: 'checkout', tracecar_kind: 'error_rate', team: 'cart' },
    annotations: { runbook: 'https://x', summary: /error rate of checkout is 50% > 10% over 30s/ },
    generatorURL: 'http://ui/alerts',
  })
  t.match(fired.annotations.failing_trace, /^http:\/\/ui\/trace\/[0-9a-f]{32}$/)
  t.equal(fired.annotations.failing_trace_logs, `${fired.annotations.failing_trace}?tab=logs`)
  t.ok(Date.parse(fired.endsAt) > 1_700_000_000_000 + 6000, 'a firing alert ends in the future (Alertmanager keeps it active)')
  t.equal(resent.startsAt, fired.startsAt, 'the re-send is the same alert')
  t.equal(resolved.endsAt, new Date(now).toISOString(), 'the resolution ends now')
  t.equal(lines.filter((l) => l.includes('http://127.0.0.1:9/')).length, 1, 'the dead receiver is logged once')
})

t.test('request rate below a floor fires when traffic stops; error rate waits for minRequests', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-rate-'))
  const db = new Database(join(dir, 'x.db'))
  t.teardown(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const rollups = new SqliteRedRollups(db)
  const { rules } = parseAlertRulesYaml(
    'rules:\n  - {name: traffic, kind: request_rate, service: checkout, threshold: 1/s, window: 20s}\n  - {name: errs, kind: error_rate, service: checkout, threshold: 0.1, window: 20s, minRequests: 50}',
    'inline',
  )
  let now = 1_700_000_000_000
  const engine = new AlertEngine({
    rules,
    rollups,
    evaluationIntervalMs: 1000,
    resendIntervalMs: 60_000,
    notifiers: [],
    uiBaseUrl: () => 'http://ui',
    log: () => {},
    now: () => now,
  })
  const byName = (name: string) => engine.status().find((r) => r.name === name)!
  let id = 1
  const spans: StoredSpan[] = []
  for (let i = 0; i < 40; i++) spans.push(span(id++, now - 500 - i * 100, 10, true))
  await rollups.merge(accumulateSpans(spans))
  await engine.evaluate(now)
  t.equal(byName('traffic').state, 'inactive', `${byName('traffic').value}/s is above the floor`)
  t.equal(byName('errs').state, 'inactive', 'every request failed, but 40 < minRequests: no data')
  t.equal(byName('errs').value, null)
  now += 60_000
  await engine.evaluate(now)
  t.equal(byName('traffic').state, 'firing', 'no traffic at all is below the floor')
  t.equal(byName('traffic').value, 0)
  await engine.stop()
})
