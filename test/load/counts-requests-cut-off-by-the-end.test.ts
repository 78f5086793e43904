import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { LoadReport } from '../../src/load/load-report.js'
import { freePort, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'
import { runLoadCli, validateLoadReport } from './load-cli.js'

// When the duration is over, autocannon closes its connections with the requests
// still on the way. The sidecar sees each of those clients go away and records a
// client_disconnected error span; the report must say how many requests the end of
// the run cut off, under which traces, and not call them errors.
const CONNECTIONS = 3

t.test('requests still on the way when the run ends are reported as cut off, not as errors', async (t) => {
  // Every answer takes a while, so each connection always has one request on the way.
  const upstream = await startHttpServer((_req, res) => {
    setTimeout(() => res.end('ok'), 250)
  })
  const sidecar = await startTestSidecar(upstream.url)
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-load-cut-off-'))
  t.teardown(async () => {
    await sidecar.close()
    await upstream.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const jsonFile = join(dir, 'report.json')
  const deadCollector = `http://127.0.0.1:${await freePort()}`
  const run = await runLoadCli([
    `${sidecar.url}/slowish`,
    '-c',
    String(CONNECTIONS),
    '-d',
    '2',
    '--collector',
    deadCollector,
    '--trace-wait',
    '1',
    '--json',
    jsonFile,
  ])
  t.equal(run.code, 0, `exit 0\n${run.stderr}`)

  const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as LoadReport
  t.ok(validateLoadReport(report), JSON.stringify(validateLoadReport.errors, null, 2))
  t.ok(report.autocannon.responses > 0, `${report.autocannon.responses} responses`)
  t.equal(report.requests.cutOff, CONNECTIONS, 'one request on the way per connection')
  t.equal(report.requests.cutOffTraceIds.length, CONNECTIONS)
  t.equal(report.errors.total, 0, 'a request cut off by the end of the run is not an error')
  t.same(report.errors.byStatus, {})
  t.notOk(
    report.slowest.some((r) => report.requests.cutOffTraceIds.includes(r.traceId)),
    'nor one of the slowest',
  )
  t.match(run.stdout, /cut off by the end of the run: 3 requests were sent but not answered/)
  t.match(run.stdout, /errors: none/)

  // The sidecar's client_disconnected spans are exactly those requests.
  const disconnected = async (): Promise<string[]> => {
    for (let i = 0; i < 100; i++) {
      const ids = sidecar.spans.spans.filter((s) => s.attributes['error.type'] === 'client_disconnected').map((s) => s.traceId)
      if (ids.length >= CONNECTIONS) return ids
      await sleep(50)
    }
    return sidecar.spans.spans.filter((s) => s.attributes['error.type'] === 'client_disconnected').map((s) => s.traceId)
  }
  t.same(new Set(await disconnected()), new Set(report.requests.cutOffTraceIds), 'the same traces the sidecar marked client_disconnected')
  t.equal(sidecar.spans.spans.length, report.autocannon.responses + CONNECTIONS, 'every span is either a response or a cut-off request')
})
