import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { LoadReport } from '../../src/load/load-report.js'
import { startCollectorProcess } from '../collector/collector-process.js'
import { runLoadCli, validateLoadReport } from './load-cli.js'
import { ERROR_EVERY, SLOW_EVERY, SLOW_MS, startShop } from './shop.js'

// The whole path: `tracecar load` (a child process) → checkout's sidecar → checkout
// → inventory's sidecar → inventory, both sidecars exporting OTLP to a real
// collector (`tracecar collector`, SQLite in a temp dir). inventory is slow on every 20th request and
// fails every 25th; the report must name exactly those requests, with trace ids the
// collector knows, and put the slow time on inventory, not on checkout.
const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-load-collector-'))
// `tracecar collector` in its own process (SQLite writes are synchronous: in this
// process they would stall the services whose latency the run measures).
const collector = await startCollectorProcess(dataDir)
const api = collector.apiUrl
const shop = await startShop(`${collector.otlpUrl}/v1/traces`)
t.teardown(async () => {
  await shop.close()
  collector.child.kill('SIGTERM')
  await collector.exited
  rmSync(dataDir, { recursive: true, force: true })
})
await shop.warmUp()

async function getJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(api + path)
  return { status: res.status, body: await res.json() }
}

t.test('the slowest requests and the errors, with their traces and where the time went', async (t) => {
  const jsonFile = join(dataDir, 'report.json')
  const run = await runLoadCli([
    `${shop.url}/checkout`,
    '-c',
    '4',
    '-a',
    '200',
    '--collector',
    api,
    '--ui',
    'http://ui.example:8080',
    '--json',
    jsonFile,
    '--trace-wait',
    '60',
  ])
  t.equal(run.code, 0, `exit 0\n${run.stderr}`)
  t.match(run.stderr, /200 requests in/, "autocannon's table")

  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as LoadReport
  t.ok(validateLoadReport(report), JSON.stringify(validateLoadReport.errors, null, 2))
  t.equal(report.collector.reachable, true)
  t.equal(report.collector.message, null, `every wanted trace arrived and settled (${report.collector.message})`)
  t.equal(report.collector.tracesFound, report.collector.tracesWanted)
  t.equal(report.requests.traceresponseMismatches, 0)

  // The slow path, exactly, each explained by its trace in the collector.
  t.equal(shop.slowTraceIds.length, 200 / SLOW_EVERY)
  const slowMarked = report.slowest.map((r) => `${Math.round(r.latencyMs)}${shop.slowTraceIds.includes(r.traceId) ? '*' : ''}`)
  t.same(new Set(report.slowest.map((r) => r.traceId)), new Set(shop.slowTraceIds), `the slowest 10 are the slow path (* = slowed): ${slowMarked.join(' ')}`)
  for (const r of report.slowest) {
    t.ok(r.latencyMs >= SLOW_MS, `${r.traceId} took ${r.latencyMs} ms`)
    t.equal(r.traceUrl, `http://ui.example:8080/trace/${r.traceId}`)
    const stored = await getJson(`/api/traces/${r.traceId}`)
    t.equal(stored.status, 200, `the collector returns trace ${r.traceId}`)
    t.ok(r.trace, 'explained')
    t.equal(r.trace!.spanCount, stored.body.spans.length)
    t.same(r.trace!.services, ['checkout', 'inventory'])
    t.equal(r.trace!.rootService, 'checkout')
    t.equal(r.trace!.complete, true)
    t.same(r.trace!.warnings, [], "the load generator's own missing span is not reported")
    const top = r.trace!.selfTime[0]!
    t.equal(top.service, 'inventory', 'the time is attributed to inventory')
    t.ok(top.selfMs >= SLOW_MS * 0.9 && top.share > 0.5, `inventory self time ${top.selfMs} ms, share ${top.share}`)
    t.ok(
      r.trace!.selfTime.some((row) => row.service === 'checkout' && row.selfMs < top.selfMs),
      'checkout only keeps its own time',
    )
  }
  t.equal(report.attribution[0]!.service, 'inventory')
  t.ok(report.attribution[0]!.share > 0.5)
  t.ok(report.attribution[0]!.selfMs >= 10 * SLOW_MS * 0.9, `${report.attribution[0]!.selfMs} ms over the 10 slow traces`)

  // The errors, each with its trace.
  t.equal(report.errors.total, 200 / ERROR_EVERY)
  t.same(new Set(report.errors.listed.map((r) => r.traceId)), new Set(shop.errorTraceIds))
  for (const r of report.errors.listed) {
    t.equal(r.status, 500)
    t.ok(r.trace, `error trace ${r.traceId} found`)
    t.same(r.trace?.services, ['checkout', 'inventory'])
    const stored = await getJson(`/api/traces/${r.traceId}`)
    const inventorySpan = stored.body.spans.find((s: any) => s.service === 'inventory')
    t.equal(inventorySpan.attributes['http.response.status_code'], 500)
  }

  // The run's tracestate reached the collector on every request's spans: one search finds them all.
  const search = await getJson(`/api/traces?tracestate=${encodeURIComponent(report.tracestate)}&limit=1000`)
  t.equal(search.body.traces.length, 200, 'all 200 traces of the run, and none of the warm-up')
  // The UI link for the run carries its time window; the same query on the API finds the same 200.
  const link = new URL(report.collector.searchUrl)
  t.equal(link.origin + link.pathname, 'http://ui.example:8080/search')
  t.equal(link.searchParams.get('tracestate'), `tracecar=${report.runId}`)
  t.equal(link.searchParams.get('lookback'), 'custom')
  const inWindow = await getJson(
    `/api/traces?${new URLSearchParams({ tracestate: link.searchParams.get('tracestate')!, start: link.searchParams.get('start')!, end: link.searchParams.get('end')!, limit: '1000' })}`,
  )
  t.equal(inWindow.body.traces.length, 200, "the link's time window holds the whole run")
  t.match(report.collector.servicesUrl, /^http:\/\/ui\.example:8080\/services\?lookback=custom&start=\d+&end=\d+$/)

  // The text report says the same.
  t.match(run.stdout, /slowest 10 requests:/)
  t.match(run.stdout, /where the slowest requests spent their time/)
  t.match(run.stdout, /\n {2}inventory /)
  for (const r of report.slowest) t.match(run.stdout, new RegExp(`${r.traceId}  inventory `))
  t.match(run.stdout, /errors: 8 \(8 x 500\)/)
  t.notMatch(run.stdout, /trace report missing/)
})
