/**
 * `tracecar collector` as a user runs it: --help, one clear line and exit 2
 * for a bad flag, the listening line, and a clean exit 0 on SIGTERM with the
 * data still there at the next start.
 */
import t from 'tap'
import { rmSync } from 'node:fs'
import { spawnTracecar } from '../helpers/proxy-process.js'
import { hexId, jsonTraceRequest, tempDataDir } from './helpers.js'
import { startCollectorProcess } from './collector-process.js'

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracecar(args)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
}

t.test('--help describes the flags', async (t) => {
  const { code, stdout } = await run(['collector', '--help'])
  t.equal(code, 0)
  for (const flag of ['--store', '--data-dir', '--otlp-http-port', '--otlp-grpc-port', '--http-port', '--retention', '--max-db-size', '--forward-endpoint'])
    t.match(stdout, flag)
  t.match(stdout, 'TRACECAR_COLLECTOR_HTTP_PORT', 'and the environment variables')
})

t.test('bad values are one clear line and exit 2', async (t) => {
  for (const [args, pattern] of [
    [['--http-port', '99999'], /^tracecar: bad config: httpPort = "99999" \(from flag --http-port\): expected an integer port number/],
    [['--retention', 'forever'], /retention\.maxAge = "forever" \(from flag --retention\): expected a duration above zero/],
    [['--max-db-size', '2 lots'], /retention\.maxSize = "2 lots" \(from flag --max-db-size\): expected a size/],
    [['--forward-endpoint', 'ftp://x'], /forward\.endpoint = "ftp:\/\/x" \(from flag --forward-endpoint\): expected an http: or https: URL/],
    [['--store', 'postgres://db/x'], /store = "postgres:\/\/db\/x" \(from flag --store\): expected sqlite or a ClickHouse URL such as clickhouse:\/\//],
    [['--store', 'clickhouse://default@ch-1:8123/trace-car'], /the database name "trace-car" must be letters, digits and _/],
    [['--colour'], /unknown flag --colour \(run tracecar collector --help for the list\)/],
  ] as const) {
    const { code, stderr } = await run(['collector', ...args])
    t.equal(code, 2, args.join(' '))
    t.match(stderr, pattern)
    t.equal(stderr.trim().split('\n').length, 1, 'one line')
  }
})

t.test('listens, stops on SIGTERM with exit 0, and keeps the data', async (t) => {
  const dataDir = tempDataDir()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const first = await startCollectorProcess(dataDir)
  const traceId = hexId(16)
  const res = await fetch(`${first.otlpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(jsonTraceRequest({ cli: [{ traceId, spanId: hexId(8), name: 'x', startMs: Date.now(), durationMs: 1 }] })),
  })
  t.equal(res.status, 200)
  await res.text()
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0)
  t.match(first.stderr(), /stopped: 1 spans/)

  const second = await startCollectorProcess(dataDir)
  const again = await fetch(`${second.apiUrl}/api/traces/${traceId}`)
  t.equal(again.status, 200)
  await again.text()
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})

t.test('a port in use is a clear error', async (t) => {
  const dataDir = tempDataDir()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const first = await startCollectorProcess(dataDir)
  t.teardown(async () => {
    first.child.kill('SIGTERM')
    await first.exited
  })
  const port = new URL(first.apiUrl).port
  const other = tempDataDir()
  t.teardown(() => rmSync(other, { recursive: true, force: true }))
  const { code, stderr } = await run(['collector', '--data-dir', other, '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--http-port', port])
  t.equal(code, 1)
  t.match(stderr, /EADDRINUSE|address already in use/)
})

t.test('SIGTERM does not wait forever for a client that never finishes its body', async (t) => {
  const dataDir = tempDataDir()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const collector = await startCollectorProcess(dataDir)
  const { request } = await import('node:http')
  const stuck = request(`${collector.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100000' } })
  stuck.on('error', () => {})
  stuck.write('{"resourceSpans": [')
  await new Promise((r) => setTimeout(r, 300))
  const t0 = Date.now()
  collector.child.kill('SIGTERM')
  t.equal(await collector.exited, 0)
  t.ok(Date.now() - t0 < 20_000, `exited after ${Date.now() - t0} ms`)
  stuck.destroy()
})

t.test('--store clickhouse:// with a ClickHouse that does not answer is one clear line and exit 1', async (t) => {
  const { code, stderr } = await run([
    'collector',
    '--store',
    'clickhouse://default@127.0.0.1:1/tracecar',
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    '0',
    '--http-port',
    '0',
    '--no-ui',
  ])
  t.equal(code, 1)
  t.match(stderr, /cannot start: ClickHouse at http:\/\/127\.0\.0\.1:1 did not answer CREATE DATABASE tracecar/)
})

t.test('--max-db-size with a ClickHouse store is refused, naming what applies instead', async (t) => {
  const { code, stderr } = await run([
    'collector',
    '--store',
    'clickhouse://default@127.0.0.1:1/tracecar',
    '--max-db-size',
    '1GiB',
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    '0',
    '--http-port',
    '0',
    '--no-ui',
  ])
  t.equal(code, 1)
  t.match(stderr, /--max-db-size applies to the embedded SQLite store; with ClickHouse, retention is by age \(--retention\)/)
})
