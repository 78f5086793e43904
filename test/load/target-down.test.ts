import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startCollector } from '../../src/collector/index.js'
import { freePort } from '../helpers/servers.js'
import { runLoadCli } from './load-cli.js'

t.test('a target that never answers: exit 1, said plainly, no waiting for traces that cannot exist', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-load-down-'))
  const collector = await startCollector({ dataDir, otlpHttpPort: 0, otlpGrpcPort: 0, httpPort: 0, uiDir: null, log: () => {} })
  t.teardown(async () => {
    await collector.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const target = await freePort()
  const run = await runLoadCli([`http://127.0.0.1:${target}/`, '-c', '2', '-d', '1', '--collector', `http://127.0.0.1:${collector.ports.http}`])
  t.equal(run.code, 1)
  t.match(run.stderr, new RegExp(`tracecar load: no response from http://127.0.0.1:${target}/ \\(\\d+ connection errors\\); is it up\\?`))
  t.notMatch(run.stderr, /waiting up to/, 'the collector is up, but no trace is worth waiting for')
  t.match(run.stdout, /errors: \d+ \(\d+ x connection error\)/)
  t.match(run.stdout, /slowest 0 requests:\n  \(none\)/, 'a lost connection is not a latency')
  t.notMatch(run.stdout, /trace report missing|note:/)
})
