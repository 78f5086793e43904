/**
 * End to end with real processes: a service behind a real sidecar exports
 * spans to a real collector evaluating an alert rule; latency is injected
 * and removed. The rule goes pending → firing → resolved, and a real
 * Alertmanager receives the alert (and its resolution) with links to
 * example traces and their logs that open in the collector.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startProxyProcess } from '../../helpers/proxy-process.js'
import { startHttpServer } from '../../helpers/servers.js'
import { getJson } from '../helpers.js'
import { eventually, startCollectorProcess } from '../observability-process.js'
import { ALERTMANAGER_BIN, missingBinary, startAlertmanager } from '../prometheus-processes.js'

const skip = missingBinary(ALERTMANAGER_BIN, 'prometheus-alertmanager')

t.test('latency injected then removed: pending, firing, resolved; Alertmanager gets working trace links', { skip }, async (t) => {
  const received: { path: string; body: any }[] = []
  const hooks = await startHttpServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) })
      res.end('ok')
    })
  })
  t.teardown(() => hooks.close())
  const alertmanager = await startAlertmanager(`${hooks.url}/alertmanager`)
  t.teardown(() => alertmanager.stop())

  let delayMs = 5
  const backend = await startHttpServer((_req, res) => {
    setTimeout(() => res.end('ok'), delayMs)
  })
  t.teardown(() => backend.close())

  const dir = mkdtempSync(join(tmpdir(), 'tracecar-alert-e2e-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const rules = join(dir, 'alerts.yaml')
  writeFileSync(
    rules,
    'rules:\n  - name: shop-slow\n    kind: duration_quantile\n    service: shop\n    quantile: 0.9\n    threshold: 1s\n    window: 5s\n    for: 2s\n    labels:\n      severity: page\n',
  )
  const collector = await startCollectorProcess(
    ['--alert-rules', rules, '--alert-eval-interval', '500ms', '--alertmanager-url', alertmanager.url, '--alert-webhook', `${hooks.url}/tracecar`],
    true,
  )
  t.teardown(() => collector.stop())
  const sidecar = await startProxyProcess([
    '--upstream',
    backend.url,
    '--service',
    'shop',
    '--otlp-endpoint',
    `${collector.otlpUrl}/v1/traces`,
    '--schedule-delay-ms',
    '100',
    '--access-log=false',
  ])
  t.teardown(() => sidecar.stop())
  // On a failure, what the processes said is the first thing to read.
  t.teardown(() => {
    if (!t.passing())
      t.comment(`collector stderr:\n${collector.stderr()}\nsidecar stderr:\n${sidecar.stderr()}\nalertmanager:\n${alertmanager.output().slice(-3000)}`)
  })

  let running = true
  const loops = Array.from({ length: 4 }, async () => {
    while (running) {
      try {
        await (await fetch(`${sidecar.url}/item`)).text()
      } catch {
        // a request cut at shutdown
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  })
  t.teardown(async () => {
    running = false
    await Promise.all(loops)
  })
  const rule = async (): Promise<any> => (await getJson(`${collector.apiUrl}/api/alerts`)).body.rules[0]

  // Cold start (first connections, JIT) can be slow on a busy machine: wait for a calm window.
  // Thresholds are far apart (fast ≈ ms, threshold 1 s, injected 2.5 s) so load cannot blur them.
  const healthy = await eventually(
    'the rule to measure fast traffic',
    async () => {
      const r = await rule()
      return r.value !== null && r.value < 1000 && r.state === 'inactive' ? r : undefined
    },
    180_000,
  )
  t.pass(`fast traffic: inactive (p90 ${healthy.value} ms)`)

  delayMs = 2500
  const pending = await eventually('pending', async () => ((await rule()).state === 'pending' ? await rule() : undefined))
  t.ok(pending.value > 1000, `latency injected: pending at p90 ${pending.value} ms`)
  const firing = await eventually('firing', async () => ((await rule()).state === 'firing' ? await rule() : undefined))
  t.ok(firing.since - pending.activeAt >= 2000, 'fired only after `for` (2s) of pending')
  t.ok(firing.exampleTraces.length > 0, 'the API lists example traces')

  const amFiring = await eventually('Alertmanager to notify the firing alert', async () =>
    received.find((r) => r.path === '/alertmanager' && r.body.status === 'firing'),
  )
  const alert = amFiring.body.alerts[0]
  t.match(alert.labels, { alertname: 'shop-slow', service: 'shop', severity: 'page', tracecar_kind: 'duration_quantile' })
  t.match(alert.annotations.summary, /p90 duration of shop is [\d.]+ ms > 1000 ms over 5s/)
  const base = `http://127.0.0.1:${collector.httpPort}`
  t.match(alert.annotations.slowest_trace, new RegExp(`^${base}/trace/[0-9a-f]{32}$`))
  t.equal(alert.annotations.slowest_trace_logs, `${alert.annotations.slowest_trace}?tab=logs`)
  t.equal(alert.generatorURL, `${base}/alerts`)
  const traceId = alert.annotations.slowest_trace.split('/').pop()
  const trace = await getJson(`${collector.apiUrl}/api/traces/${traceId}`)
  t.equal(trace.status, 200, 'the linked trace is in the store')
  t.ok(
    trace.body.spans.some((s: any) => s.service === 'shop' && s.durationMs >= 1000),
    'and it is a slow one',
  )
  const uiBuilt = existsSync(join(import.meta.dirname, '../../../dist/ui/index.html'))
  t.test('the link opens the UI', { skip: uiBuilt ? false : 'dist/ui is not built (npm run build)' }, async (t) => {
    const page = await fetch(alert.annotations.slowest_trace_logs)
    t.equal(page.status, 200)
    t.match(page.headers.get('content-type'), /text\/html/)
  })

  delayMs = 5
  await eventually('resolved', async () => ((await rule()).state === 'inactive' ? true : undefined), 90_000)
  const amResolved = await eventually(
    'Alertmanager to notify the resolution',
    async () => received.find((r) => r.path === '/alertmanager' && r.body.status === 'resolved'),
    90_000,
  )
  t.equal(amResolved.body.alerts[0].labels.alertname, 'shop-slow')
  const own = received.filter((r) => r.path === '/tracecar').map((r) => r.body.status)
  t.same(own, ['firing', 'resolved'], 'the tracecar webhook got the firing and the resolved notice')
})
