import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startCollector } from '../../src/collector/index.js'
import { freePort } from '../helpers/servers.js'
import type { LoadReport } from '../../src/load/load-report.js'
import { runLoadCli, validateLoadReport } from './load-cli.js'

t.test('a target that never answers: exit 1, said plainly, no waiting for traces that cannot exist', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-load-down-'))
  const collector = await startCollector({ dataDir, otlpHttpPort: 0, otlpGrpcPort: 0, httpPort: 0, uiDir: null, log: () => {} })
  t.teardown(async () => {
    await collector.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const target = await freePort()
  // A bare --json: the report is stdout, the text report moves to stderr.
  const run = await runLoadCli([`http://127.0.0.1:${target}/`, '-c', '2', '-d', '1', '--json', '--collector', `http://127.0.0.1:${collector.ports.http}`])
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`tracecar load: no response from http://127.0.0.1:${target}/ \\(\\d+ connection errors\\); is it up\\?`))
  t.notMatch(run.stderr, /waiting up to/, 'the collector is up, but no trace is worth waiting for')
  t.match(run.stderr, /errors: \d+ \(\d+ x connection error\)/)
  t.match(run.stderr, /slowest 0 requests:\n {2}\(none\)/, 'a lost connection is not a latency')
  t.notMatch(run.stderr, /trace report missing|note:/)

  const report = JSON.parse(run.stdout) as LoadReport
  t.ok(validateLoadReport(report), JSON.stringify(validateLoadReport.errors, null, 2))
  t.equal(report.autocannon.responses, 0)
  t.same(report.slowest, [])
  t.ok(report.errors.total > 0 && report.errors.byStatus['connection error'] === report.errors.total)
  t.equal(report.errors.listed.length, 20, 'the first 20 listed')
  t.ok(report.errors.listed.every((e) => e.status === null && e.failure === 'connection error' && e.trace === null))
  t.equal(report.collector.reachable, true)
  t.equal(report.collector.tracesWanted, 0)
  t.equal(report.collector.message, null)
})
