import t, { type Test } from 'tap'
import { ConfigError, loadProxyConfig } from '../../src/config/index.js'

const upstream = ['--upstream', 'http://127.0.0.1:8080']

/** Loads and returns the ConfigError's message, failing the test if it was not a one-line ConfigError. */
function errorOf(t: Test, options: { argv?: string[]; env?: Record<string, string>; cwd?: string }): string {
  try {
    loadProxyConfig({ argv: options.argv ?? upstream, env: options.env ?? {}, cwd: options.cwd })
  } catch (error) {
    t.type(error, ConfigError)
    const message = (error as Error).message
    t.notMatch(message, /\n/, 'one line')
    t.match(message, /^tracecar: bad config: /)
    return message
  }
  t.fail('expected a ConfigError')
  return ''
}

// Each case: how it is given, and the whole expected line.
const valueCases: Array<[string, { argv?: string[]; env?: Record<string, string> }, string]> = [
  [
    'timeout not a number (env)',
    { env: { TRACECAR_TIMEOUTS_CONNECT_MS: 'abc' } },
    'timeouts.connectMs = "abc" (from env TRACECAR_TIMEOUTS_CONNECT_MS): expected an integer number of milliseconds >= 1',
  ],
  [
    'zero timeout',
    { argv: [...upstream, '--idle-timeout-ms', '0'] },
    'timeouts.idleMs = "0" (from flag --idle-timeout-ms): expected an integer number of milliseconds >= 1',
  ],
  [
    'negative timeout',
    { argv: [...upstream, '--drain-timeout-ms=-5'] },
    'timeouts.drainMs = "-5" (from flag --drain-timeout-ms): expected an integer number of milliseconds >= 1',
  ],
  [
    'fractional timeout',
    { env: { TRACECAR_TIMEOUTS_HEADERS_MS: '1.5' } },
    'timeouts.headersMs = "1.5" (from env TRACECAR_TIMEOUTS_HEADERS_MS): expected an integer number of milliseconds >= 1',
  ],
  [
    'port too big',
    { argv: [...upstream, '--listen-port', '70000'] },
    'listen.port = "70000" (from flag --listen-port): expected an integer port number (0 = any free port) from 0 to 65535',
  ],
  [
    'negative port',
    { env: { TRACECAR_ADMIN_PORT: '-1' } },
    'admin.port = "-1" (from env TRACECAR_ADMIN_PORT): expected an integer port number (0 = any free port) from 0 to 65535',
  ],
  [
    'port in a shorthand',
    { argv: [...upstream, '--listen', '0.0.0.0:99999'] },
    'listen.port = "0.0.0.0:99999" (from flag --listen): expected an integer port number (0 = any free port) from 0 to 65535',
  ],
  [
    'shorthand without a port',
    { env: { TRACECAR_LISTEN: '0.0.0.0' } },
    'listen = "0.0.0.0" (from env TRACECAR_LISTEN): expected host:port (e.g. 0.0.0.0:15006 or [::]:15006)',
  ],
  [
    'upstream not http',
    { argv: ['--upstream', 'ftp://files:21'] },
    'upstream = "ftp://files:21" (from flag --upstream): expected an http: or https: URL with no path, query or credentials (e.g. http://127.0.0.1:8080)',
  ],
  [
    'upstream not a URL',
    { env: { TRACECAR_UPSTREAM: '127.0.0.1:8080' } },
    'upstream = "127.0.0.1:8080" (from env TRACECAR_UPSTREAM): expected an http: or https: URL with no path, query or credentials (e.g. http://127.0.0.1:8080)',
  ],
  [
    'upstream with a path',
    { argv: ['--upstream', 'http://svc:80/api'] },
    'upstream = "http://svc:80/api" (from flag --upstream): expected an http: or https: URL with no path, query or credentials (e.g. http://127.0.0.1:8080)',
  ],
  [
    'endpoint not http',
    { argv: [...upstream, '--otlp-endpoint', 'grpc://collector:4317'] },
    'exporter.endpoint = "grpc://collector:4317" (from flag --otlp-endpoint): expected an http: or https: URL (e.g. http://127.0.0.1:4318/v1/traces)',
  ],
  ['ratio above 1', { argv: [...upstream, '--sampler-arg', '2'] }, 'sampling.ratio = "2" (from flag --sampler-arg): expected a number from 0 to 1'],
  [
    'ratio not a number',
    { env: { TRACECAR_SAMPLING_RATIO: 'half' } },
    'sampling.ratio = "half" (from env TRACECAR_SAMPLING_RATIO): expected a number from 0 to 1',
  ],
  [
    'unknown sampler',
    { argv: [...upstream, '--sampler', 'sometimes'] },
    'sampling.sampler = "sometimes" (from flag --sampler): expected one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio',
  ],
  [
    'unknown propagator',
    { argv: [...upstream, '--inject', 'tracecontext,xray'] },
    'propagation.inject = ["tracecontext,xray"] (from flag --inject): unknown propagator "xray"; expected a comma-separated list of tracecontext, b3, b3multi, jaeger (or none)',
  ],
  [
    'header name with a space',
    { env: { TRACECAR_HEADERS_TRACE_ID: 'x trace id' } },
    'headers.traceId = "x trace id" (from env TRACECAR_HEADERS_TRACE_ID): expected an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~, no spaces), or "" to disable',
  ],
  [
    'header name with CR/LF',
    { argv: [...upstream, '--request-id-header', 'x-id\r\nx-evil: 1'] },
    'headers.requestId = "x-id\\r\\nx-evil: 1" (from flag --request-id-header): expected an HTTP header name (letters, digits and !#$%&\'*+-.^_`|~, no spaces), or "" to disable',
  ],
  [
    'route without a leading slash',
    { argv: [...upstream, '--route', 'users/:id'] },
    'routes = ["users/:id"] (from flag --route): route "users/:id" is not allowed; expected route templates that start with / (e.g. /users/:id or /static/*)',
  ],
  [
    'boolean flag with a bad value',
    { argv: [...upstream, '--access-log=maybe'] },
    'accessLog.enabled = "maybe" (from flag --access-log): expected true or false',
  ],
  [
    'boolean env with a bad value',
    { env: { TRACECAR_PRESERVE_HOST: 'yes' } },
    'preserveHost = "yes" (from env TRACECAR_PRESERVE_HOST): expected true or false',
  ],
  [
    'export header value with a newline',
    { argv: [...upstream, '--header', 'authorization=Bearer x\nInjected: 1'] },
    'exporter.headers = {"authorization": (hidden)} (from flag --header): header "authorization" has CR, LF or NUL in its value; expected name=value pairs (comma-separated, percent-encoded in env) with HTTP token names and no CR/LF in values',
  ],
  [
    'backoff out of order',
    { argv: [...upstream, '--export-initial-backoff-ms', '9000'] },
    'exporter.initialBackoffMs = 9000 (from flag --export-initial-backoff-ms): must be <= exporter.maxBackoffMs (5000, from default)',
  ],
  [
    'service.name in resource attributes',
    { argv: [...upstream, '--resource-attribute', 'service.name=x'] },
    'resourceAttributes = {"service.name":"x"} (from flag --resource-attribute): service.name is not allowed here: set serviceName (--service, OTEL_SERVICE_NAME) instead',
  ],
  [
    'missing upstream',
    { argv: [] },
    'upstream is not set (from default: it has none): give --upstream <url>, TRACECAR_UPSTREAM=<url> or "upstream:" in the config file, e.g. --upstream http://127.0.0.1:8080',
  ],
  ['unknown flag', { argv: [...upstream, '--conect-timeout-ms', '5'] }, 'unknown flag --conect-timeout-ms (run tracecar proxy --help for the list)'],
  ['flag without its value', { argv: [...upstream, '--service'] }, 'flag --service needs a value'],
  ['stray argument', { argv: [...upstream, 'proxy'] }, 'unexpected argument "proxy": every setting is a --flag (run tracecar proxy --help for the list)'],
]

for (const [name, options, expected] of valueCases) {
  t.test(name, async (t) => {
    t.equal(errorOf(t, options), `tracecar: bad config: ${expected}`)
  })
}

t.test('ConfigError carries the key and origin as fields too', async (t) => {
  try {
    loadProxyConfig({ argv: [...upstream, '--listen-port', 'x'], env: {} })
    t.fail('should throw')
  } catch (error) {
    t.type(error, ConfigError)
    t.equal((error as ConfigError).key, 'listen.port')
    t.equal((error as ConfigError).origin, 'flag --listen-port')
  }
})

t.test('config file problems', async (t) => {
  const dir = t.testdir({
    'broken.yaml': 'upstream: http://127.0.0.1:8080\ntimeouts:\n  connectMs: [1, 2\n',
    'typo.yaml': 'upstream: http://127.0.0.1:8080\ntimeouts:\n  conectMs: 5000\n',
    'top-typo.yaml': 'upstrem: http://127.0.0.1:8080\n',
    'bad-value.yaml': 'upstream: http://127.0.0.1:8080\n\nsampling:\n  ratio: 1.5\n',
    'not-a-map.yaml': 'upstream: http://127.0.0.1:8080\ntimeouts: 5000\n',
    'list.yaml': '- upstream\n',
    'duplicate.yaml': 'upstream: http://a:1\nupstream: http://b:1\n',
  })
  t.match(errorOf(t, { argv: ['--config', 'broken.yaml'], cwd: dir }), /^tracecar: bad config: config file broken\.yaml:\d+:\d+ is not valid YAML: /)
  t.match(errorOf(t, { argv: ['--config', 'duplicate.yaml'], cwd: dir }), /config file duplicate\.yaml:2:\d+ is not valid YAML: Map keys must be unique/)
  t.equal(
    errorOf(t, { argv: ['--config', 'typo.yaml'], cwd: dir }),
    'tracecar: bad config: unknown key "timeouts.conectMs" in typo.yaml:3 (allowed under timeouts: connectMs, headersMs, idleMs, drainMs)',
  )
  t.match(
    errorOf(t, { argv: ['--config', 'top-typo.yaml'], cwd: dir }),
    /^tracecar: bad config: unknown key "upstrem" in top-typo\.yaml:1 \(allowed: serviceName, upstream, listen, /,
  )
  t.equal(
    errorOf(t, { argv: ['--config', 'bad-value.yaml'], cwd: dir }),
    'tracecar: bad config: sampling.ratio = 1.5 (from file bad-value.yaml:4): expected a number from 0 to 1',
  )
  t.equal(
    errorOf(t, { argv: ['--config', 'not-a-map.yaml'], cwd: dir }),
    'tracecar: bad config: timeouts = 5000 (from file not-a-map.yaml:2): expected a mapping with keys connectMs, headersMs, idleMs, drainMs',
  )
  t.match(errorOf(t, { argv: ['--config', 'list.yaml'], cwd: dir }), /config file list\.yaml must be a mapping of keys/)
  t.match(
    errorOf(t, { argv: ['--config', 'nope.yaml'], cwd: dir }),
    /^tracecar: bad config: config file nope\.yaml does not exist \(resolved to .*nope\.yaml; given with --config or TRACECAR_CONFIG\)$/,
  )
  t.match(errorOf(t, { argv: [], env: { TRACECAR_CONFIG: 'missing.yaml' }, cwd: dir }), /config file missing\.yaml does not exist/)
})
