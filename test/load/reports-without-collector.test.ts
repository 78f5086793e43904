import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { LoadReport } from '../../src/load/load-report.js'
import { freePort } from '../helpers/servers.js'
import { runLoadCli, validateLoadReport } from './load-cli.js'
import { ERROR_EVERY, SLOW_EVERY, SLOW_MS, startShop } from './shop.js'

// Nothing listens where the collector should be: the sidecars' exports fail, and
// `tracecar load` must still run, print autocannon's figures and say why the trace
// part is missing. The slowest requests and the errors are still listed with the
// trace ids they were sent under (those come from the load generator itself).
const deadPort = await freePort()
const shop = await startShop(`http://127.0.0.1:${deadPort}/v1/traces`)
const dir = mkdtempSync(join(tmpdir(), 'tracecar-load-'))
t.teardown(async () => {
  await shop.close()
  rmSync(dir, { recursive: true, force: true })
})
await shop.warmUp()

t.test('a run with the collector down completes with autocannon figures and a clear message', async (t) => {
  const jsonFile = join(dir, 'report.json')
  const collector = `http://127.0.0.1:${deadPort}`
  const run = await runLoadCli([`${shop.url}/checkout`, '-c', '4', '-a', '200', '--collector', collector, '--json', jsonFile, '--trace-wait', '1'])
  t.equal(run.code, 0, `exit 0\n${run.stderr}`)

  // autocannon's own summary table and totals, on stderr as autocannon prints them.
  t.match(run.stderr, /Latency/)
  t.match(run.stderr, /Req\/Sec/)
  t.match(run.stderr, /200 requests in/)
  t.match(run.stderr, /warning: cannot reach the collector/, 'warned before the run')

  t.match(run.stdout, new RegExp(`trace report missing: cannot reach the collector at ${collector}: connection refused`))
  t.match(run.stdout, /all traces of this run: .*\/search\?tracestate=tracecar%3Drun-[0-9a-f]{12}/)

  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as LoadReport
  t.ok(validateLoadReport(report), JSON.stringify(validateLoadReport.errors, null, 2))
  t.equal(report.collector.reachable, false)
  t.match(report.collector.message, /connection refused/)
  t.equal(report.autocannon.responses, 200)
  t.equal(report.requests.recorded, 200, 'every response paired with its trace')
  t.equal(report.requests.unmatched, 0)
  t.equal(report.requests.traceresponseSeen, 200, 'the sidecar echoed every trace id')
  t.equal(report.requests.traceresponseMismatches, 0, 'and each was the one we paired it with')

  // The service knows which requests it slowed down and failed, by trace id.
  t.equal(shop.slowTraceIds.length, 200 / SLOW_EVERY)
  t.same(new Set(report.slowest.map((r) => r.traceId)), new Set(shop.slowTraceIds), 'the slowest 10 are the slow path')
  for (const r of report.slowest) {
    t.ok(r.latencyMs >= SLOW_MS, `slow request ${r.traceId} took ${r.latencyMs} ms`)
    t.equal(r.trace, null)
    t.match(r.traceUrl, new RegExp(`^${collector}/trace/${r.traceId}$`))
    t.match(run.stdout, r.traceId)
  }
  t.equal(report.errors.total, 200 / ERROR_EVERY)
  t.same(report.errors.byStatus, { '500': 200 / ERROR_EVERY })
  t.same(new Set(report.errors.listed.map((r) => r.traceId)), new Set(shop.errorTraceIds), 'errors listed with their traces')
  for (const r of report.errors.listed) t.equal(r.status, 500)
  t.same(report.attribution, [])
})
