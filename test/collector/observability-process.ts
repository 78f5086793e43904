/**
 * `tracecar collector` as a real child process on free loopback ports, with
 * its database in a fresh temp dir (for the tests of logs ingest, RED metrics
 * and alerts). Reads the ports from the listening line on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnTracecar } from '../helpers/proxy-process.js'
import { testStoreUrl } from '../helpers/test-store.js'

export interface CollectorProcess {
  otlpUrl: string
  apiUrl: string
  httpPort: number
  dataDir: string
  stderr: () => string
  stop(): Promise<number | null>
}

/** `serveUi`: serve the built UI (dist/ui) instead of passing --no-ui. */
export async function startCollectorProcess(flags: string[] = [], serveUi = false): Promise<CollectorProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-obs-'))
  const store = testStoreUrl()
  const child = spawnTracecar([
    'collector',
    ...(store === undefined ? [] : ['--store', store]),
    '--data-dir',
    dataDir,
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    '0',
    '--http-port',
    '0',
    ...(serveUi ? [] : ['--no-ui']),
    ...flags,
  ])
  let out = ''
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const ports = await new Promise<{ otlpHttpPort: number; httpPort: number }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.includes('"listening"'))
      if (line !== undefined) resolve(JSON.parse(line))
    })
    void exited.then((code) => reject(new Error(`tracecar collector exited with ${code} before listening:\n${err}`)))
  })
  return {
    otlpUrl: `http://127.0.0.1:${ports.otlpHttpPort}`,
    apiUrl: `http://127.0.0.1:${ports.httpPort}`,
    httpPort: ports.httpPort,
    dataDir,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      const code = await exited
      rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
