/**
 * `tracecar collector` as a real child process on free loopback ports, with
 * its database in a fresh temp dir (for the tests of logs ingest, RED metrics
 * and alerts). Reads the ports from the listening line on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCollectorProcess as startInDataDir } from './collector-process.js'

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
  const { child, otlpUrl, apiUrl, httpPort, stderr, exited } = await startInDataDir(dataDir, flags, serveUi)
  return {
    otlpUrl,
    apiUrl,
    httpPort,
    dataDir,
    stderr,
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
