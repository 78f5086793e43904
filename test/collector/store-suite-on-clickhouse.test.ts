// The collector's store behaviour tests, run once more on the ClickHouse
// store: one suite, two stores. A real clickhouse-server is started for the
// run; each file runs as its own process, exactly as tap runs it, with
// TRACECAR_TEST_CLICKHOUSE set, so every collector those files start (in
// process or as `tracecar collector`) stores into a database of its own on
// that server instead of SQLite. Files about what only the embedded store
// has (its file, its fsyncs, its retention worker and scan steps, the CLI's
// --data-dir) are not in the list.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { missingClickHouse, startClickHouse } from '../helpers/clickhouse-server.js'
import { TEST_CLICKHOUSE_ENV } from '../helpers/test-store.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

export const STORE_BEHAVIOUR_FILES = [
  'test/collector/answers-trace-queries.test.ts',
  'test/collector/ranks-found-traces-by-their-newest-match.test.ts',
  'test/collector/finds-jaeger-tags-on-one-span.test.ts',
  'test/collector/finds-traces-linking-to-a-trace.test.ts',
  'test/collector/speaks-the-jaeger-query-api.test.ts',
  'test/collector/stores-what-otel-sdks-send.test.ts',
  'test/collector/stores-hostile-strings-as-sent.test.ts',
  'test/collector/sums-dependencies-over-long-windows.test.ts',
  'test/collector/counts-each-call-once-whatever-the-arrival-order.test.ts',
  'test/collector/receives-a-sidecars-spans.test.ts',
  'test/collector/tells-ingest-listeners-what-was-stored.test.ts',
  'test/collector/keeps-acknowledged-spans-through-sigkill.test.ts',
  'test/collector/answers-bad-requests-with-otlp-statuses.test.ts',
  'test/collector/serves-the-trace-page-compact.test.ts',
  'test/collector/metrics/red-metrics-match-stored-spans.test.ts',
  'test/collector/logs-ingest/links-legacy-log-lines-to-traces.test.ts',
]

function runFile(path: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

const missing = missingClickHouse()
t.setTimeout(0)
t.test('the store behaviour suite on ClickHouse', { skip: missing }, async (t) => {
  const clickhouse = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  t.comment(`ClickHouse ${(await clickhouse.sql('SELECT version()')).trim()} on ${clickhouse.httpUrl}`)
  const base = clickhouse.storeUrl('').replace(/\/$/, '')
  for (const path of STORE_BEHAVIOUR_FILES) {
    await t.test(`${path} on ClickHouse`, { timeout: 600_000 }, async (t) => {
      const run = await runFile(path, { [TEST_CLICKHOUSE_ENV]: base })
      const failures = run.stdout.split('\n').filter((line) => /^\s*not ok /.test(line) && !/# (SKIP|TODO)/.test(line))
      t.equal(run.code, 0, `exits 0${run.signal === null ? '' : ` (killed by ${run.signal})`}`)
      t.same(failures, [], 'no failed assertion')
      if (run.code !== 0) t.comment(`${run.stdout.slice(-6000)}\n${run.stderr.slice(-3000)}`)
    })
  }
})
