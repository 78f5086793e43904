/**
 * `tracecar demo` reads its settings through the config machinery: the flags it always
 * had with their defaults, TRACECAR_DEMO_* variables, and a bad value is one line and exit 2
 * before anything starts.
 */
import t from 'tap'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { DEMO_SCHEMA } from '../../src/cli/demo-command.js'
import { spawnTracecar } from '../helpers/proxy-process.js'

const settings = (argv: string[], env: Record<string, string> = {}): Record<string, unknown> =>
  Object.fromEntries([...resolveConfig(DEMO_SCHEMA, { argv, env })].map(([path, { value }]) => [path, value]))

t.test('the defaults, the flags and the variables', async (t) => {
  t.strictSame(settings([]), { rate: 5, dataDir: './data/demo', httpPort: 16686, otlpHttpPort: 4318, otlpGrpcPort: 4317, entryPort: 15006 })
  t.match(settings(['--rate', '20', '--data-dir', 'd', '--http-port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--entry-port', '0']), {
    rate: 20,
    dataDir: 'd',
    httpPort: 0,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    entryPort: 0,
  })
  t.match(
    settings(['--rate', '2'], { TRACECAR_DEMO_RATE: '50', TRACECAR_DEMO_HTTP_PORT: '17000' }),
    { rate: 2, httpPort: 17000 },
    'a flag beats the environment',
  )
  t.match(settings([], { TRACECAR_DEMO_RATE: '0.5' }), { rate: 0.5 })
})

t.test('a bad value is one line and exit 2, before anything starts', async (t) => {
  for (const [args, pattern] of [
    [['--rate', '0'], /^tracecar: bad config: rate = "0" \(from flag --rate\): expected requests per second, above 0 and at most 1000\n$/],
    [['--rate', '5000'], /rate = "5000" \(from flag --rate\)/],
    [['--entry-port', '70000'], /^tracecar: bad config: entryPort = "70000" \(from flag --entry-port\): expected an integer port number/],
  ] as const) {
    const child = spawnTracecar(['demo', ...args])
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    t.equal(code, 2, args.join(' '))
    t.match(stderr, pattern)
  }
})
