// The proxy's whole test suite, run once more on the inbound engine that is
// not the default, so both engines are held to every behaviour the suite
// proves (the framing suites already run on both). Each file runs as its own
// process, exactly as tap runs it, with TRACECAR_TEST_HTTP_ENGINE set: the
// test helpers start every sidecar on that engine.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const here = fileURLToPath(new URL('./', import.meta.url))
const defaultEngine = loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:1'], env: {} }).httpEngine
const other = defaultEngine === 'node' ? 'raw' : 'node'

const files = readdirSync(here)
  .filter((name) => name.endsWith('.test.ts'))
  // These already run on every engine, and this file must not run itself.
  .filter((name) => !name.startsWith('http1-framing-') && !name.startsWith('http1-fuzz') && name !== 'whole-suite-on-the-other-engine.test.ts')
  .sort()

/** Runs one test file as tap runs it; resolves with its exit code (or signal) and output. */
function runFile(name: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `test/proxy/${name}`], {
      cwd: root,
      env: { ...process.env, TRACECAR_TEST_HTTP_ENGINE: other },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

/** The line of a failed run's stderr that says what went wrong: its first error, or else its last line. */
function firstError(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '')
  const line = lines.find((l) => /\b\w*Error\b|EADDRINUSE|ECONNREFUSED/.test(l)) ?? lines.at(-1) ?? 'nothing on stderr'
  return line.trim().slice(0, 300)
}

// One file after the other, as long as they take: the file timeout is per file below.
t.setTimeout(0)
t.comment(`default engine ${defaultEngine}; running ${files.length} proxy test files on ${other}`)
for (const name of files) {
  t.test(`${name} on the ${other} engine`, { timeout: 600_000 }, async (t) => {
    const run = await runFile(name)
    const failures = run.stdout.split('\n').filter((line) => /^\s*not ok /.test(line) && !/# (SKIP|TODO)/.test(line))
    // The cause goes into the assertion's own message: a run's summary lists
    // failed assertions by name, where the comment below may be cut.
    const how = run.signal === null ? `exited ${run.code}` : `killed by ${run.signal}`
    t.equal(run.code, 0, run.code === 0 ? 'exits 0' : `exits 0 (${how}: ${firstError(run.stderr)})`)
    t.same(
      failures,
      [],
      failures.length === 0
        ? 'no failed assertion'
        : `no failed assertion (failed: ${failures
            .map((l) => l.trim())
            .join('; ')
            .slice(0, 600)})`,
    )
    if (run.code !== 0) t.comment(`${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`)
  })
}
