import t from 'tap'
import { spawnTracecar } from '../helpers/proxy-process.js'

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracecar(args, env)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })))
}

const cases: Array<[string, string[], NodeJS.ProcessEnv, RegExp]> = [
  ['a bad port flag', ['proxy', '--upstream', 'http://127.0.0.1:8080', '--listen-port', '70000'], {}, /listen\.port.*70000/],
  ['a bad URL in the environment', ['proxy'], { TRACECAR_UPSTREAM: 'ftp://example' }, /upstream.*ftp:\/\/example.*TRACECAR_UPSTREAM/],
  ['a bad sampler', ['proxy', '--upstream', 'http://127.0.0.1:8080'], { OTEL_TRACES_SAMPLER: 'sometimes' }, /sampl.*sometimes/],
  ['no upstream at all', ['proxy'], {}, /upstream/],
  ['an unknown flag', ['proxy', '--upstreem', 'http://x'], {}, /upstreem/],
]
for (const [what, args, env, pattern] of cases) {
  t.test(`${what}: one clear line on stderr, exit 2, nothing started`, async (t) => {
    const { code, stderr } = await run(args, env)
    t.equal(code, 2)
    t.match(stderr, pattern)
    t.equal(stderr.trim().split('\n').length, 1, stderr)
  })
}

t.test('--help lists the options with their environment variables', async (t) => {
  const { code, stdout } = await run(['proxy', '--help'])
  t.equal(code, 0)
  t.match(stdout, /--upstream/)
  t.match(stdout, /TRACECAR_UPSTREAM/)
  t.match(stdout, /OTEL_SERVICE_NAME/)
})

t.test('an unknown command says so and lists the commands', async (t) => {
  const { code, stderr } = await run(['proxi'])
  t.equal(code, 2)
  t.match(stderr, /unknown command 'proxi'/)
  t.match(stderr, /proxy/)
})
