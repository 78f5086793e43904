/**
 * The collector's settings come from the same machinery as the proxy's: every setting has
 * a flag, a TRACECAR_COLLECTOR_* variable (a Kubernetes Deployment's way) and a YAML key,
 * a flag beats the environment beats the file beats the default, bad values are one
 * line, and the help, docs table and example file are generated from its table.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { COLLECTOR_DOCS, configReferenceMarkdown, exampleConfigYaml } from '../../src/config/config-reference.js'
import { COLLECTOR_KEYS, COLLECTOR_SCHEMA } from '../../src/config/collector-schema.js'
import { tracecarEnvName } from '../../src/config/config-schema.js'
import { collectorHelpText, loadCollectorConfig } from '../../src/config/load-collector-config.js'
import { ConfigError } from '../../src/config/config-error.js'
import { readConfigFile } from '../../src/config/file-source.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const regenerate = "regenerate with: npx tsx -e \"import('./src/config/config-reference.ts').then((m) => m.writeConfigDocs('.'))\""

function errorOf(t: Tap.Test, run: () => unknown): string {
  try {
    run()
  } catch (error) {
    t.type(error, ConfigError)
    return (error as Error).message
  }
  t.fail('expected a ConfigError')
  return ''
}

t.test("the collector's flags, with durations and sizes in the product's grammar", async (t) => {
  const config = loadCollectorConfig({
    argv: [
      '--data-dir',
      'store',
      '--host',
      '0.0.0.0',
      '--allowed-hosts',
      'a.example,b',
      '--allowed-hosts',
      'c',
      '--otlp-http-port',
      '0',
      '--otlp-grpc-port',
      '14317',
      '--http-port',
      '26686',
      '--retention',
      '72h',
      '--max-db-size',
      '2GiB',
      '--retention-interval',
      '30s',
      '--max-body-bytes',
      '4MiB',
      '--sync',
      'normal',
      '--forward-endpoint',
      'http://otel:4318',
      '--forward-header',
      'authorization=Bearer x=y',
      '--no-ui',
      '--ui-dir',
      'ui',
      '--alert-rules',
      'rules.yaml',
      '--alert-webhook',
      'http://hooks/a',
      '--alertmanager-url',
      'http://am:9093',
      '--ui-base-url',
      'http://tracecar.example',
      '--alert-eval-interval',
      '500ms',
      '--log-trace-id-field',
      'req.id',
      '--log-trace-id-field',
      'dd:decimal',
      '--log-trace-id-pattern',
      'corr#(?<traceId>[0-9a-f]{1,32})',
    ],
    env: {},
    cwd: '/srv',
  })
  t.strictSame(config, {
    store: 'sqlite',
    dataDir: resolve('/srv', 'store'),
    host: '0.0.0.0',
    allowedHosts: ['a.example', 'b', 'c'],
    otlpHttpPort: 0,
    otlpGrpcPort: 14317,
    httpPort: 26686,
    'retention.maxAge': 72 * 3_600_000,
    'retention.maxSize': 2 * 1024 ** 3,
    'retention.interval': 30_000,
    maxBodyBytes: 4 * 1024 ** 2,
    sync: 'normal',
    'forward.endpoint': 'http://otel:4318',
    'forward.headers': { authorization: 'Bearer x=y' },
    'ui.enabled': false,
    'ui.dir': resolve('/srv', 'ui'),
    'alerts.rules': resolve('/srv', 'rules.yaml'),
    'alerts.webhooks': ['http://hooks/a'],
    'alerts.alertmanagerUrls': ['http://am:9093'],
    'alerts.uiBaseUrl': 'http://tracecar.example',
    'alerts.evaluationInterval': 500,
    'logs.traceIdFields': ['req.id', 'dd:decimal'],
    // A comma inside a regular expression does not split it.
    'logs.traceIdPatterns': ['corr#(?<traceId>[0-9a-f]{1,32})'],
  })
  t.equal(loadCollectorConfig({ argv: ['--allowed-hosts', 'x,any'], env: {} }).allowedHosts, 'any')
})

t.test("nothing given: the collector's defaults, optional settings left out", async (t) => {
  t.strictSame(loadCollectorConfig({ argv: [], env: {}, cwd: '/srv' }), {
    store: 'sqlite',
    dataDir: resolve('/srv', 'data'),
    host: '127.0.0.1',
    otlpHttpPort: 4318,
    otlpGrpcPort: 4317,
    httpPort: 16686,
    'retention.interval': 60_000,
    maxBodyBytes: 16 * 1024 ** 2,
    sync: 'full',
    'forward.headers': {},
    'ui.enabled': true,
    'alerts.webhooks': [],
    'alerts.alertmanagerUrls': [],
    'logs.traceIdFields': [],
    'logs.traceIdPatterns': [],
  })
})

t.test('TRACECAR_COLLECTOR_* variables set the same keys, as a Kubernetes Deployment would', async (t) => {
  const env = {
    TRACECAR_COLLECTOR_HOST: '0.0.0.0',
    TRACECAR_COLLECTOR_HTTP_PORT: '16000',
    TRACECAR_COLLECTOR_RETENTION_MAX_AGE: '7d',
    TRACECAR_COLLECTOR_RETENTION_MAX_SIZE: '5GiB',
    TRACECAR_COLLECTOR_ALLOWED_HOSTS: 'tracecar-collector,tracecar-collector.tracecar.svc',
    TRACECAR_COLLECTOR_FORWARD_ENDPOINT: 'http://otel:4318',
    TRACECAR_COLLECTOR_FORWARD_HEADERS: 'authorization=Bearer%20x',
    TRACECAR_COLLECTOR_UI_ENABLED: 'false',
    TRACECAR_COLLECTOR_LOGS_TRACE_ID_PATTERNS: 'a,(?<traceId>x)\ncorr=(\\w+)',
    // The proxy's variables are not the collector's.
    TRACECAR_LISTEN_PORT: '1',
    TRACECAR_HOST: 'nope',
  }
  t.match(loadCollectorConfig({ argv: [], env }), {
    host: '0.0.0.0',
    httpPort: 16000,
    'retention.maxAge': 7 * 86_400_000,
    'retention.maxSize': 5 * 1024 ** 3,
    allowedHosts: ['tracecar-collector', 'tracecar-collector.tracecar.svc'],
    'forward.endpoint': 'http://otel:4318',
    'forward.headers': { authorization: 'Bearer x' },
    'ui.enabled': false,
    'logs.traceIdPatterns': ['a,(?<traceId>x)', 'corr=(\\w+)'],
  })
  t.equal(loadCollectorConfig({ argv: ['--http-port', '17000'], env }).httpPort, 17000, 'a flag beats the environment')
  t.match(
    errorOf(t, () => loadCollectorConfig({ argv: [], env: { TRACECAR_COLLECTOR_RETENTION_INTERVAL: 'hourly' } })),
    /^tracecar: bad config: retention\.interval = "hourly" \(from env TRACECAR_COLLECTOR_RETENTION_INTERVAL\): expected a duration above zero: a number with a unit/,
  )
})

t.test('a YAML file sets them too, below the environment', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-collector-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'collector.yaml'),
    'dataDir: /var/lib/tracecar\nhttpPort: 16001\nretention:\n  maxAge: 30d\n  interval: 5000\nmaxBodyBytes: 1048576\nalerts:\n  webhooks: [http://hooks/x]\n',
  )
  t.match(loadCollectorConfig({ argv: ['--config', 'collector.yaml'], env: { TRACECAR_COLLECTOR_HTTP_PORT: '16002' }, cwd: dir }), {
    dataDir: '/var/lib/tracecar',
    httpPort: 16002,
    maxBodyBytes: 1024 ** 2,
    'retention.maxAge': 30 * 86_400_000,
    'retention.interval': 5000,
    'alerts.webhooks': ['http://hooks/x'],
  })
  t.equal(
    loadCollectorConfig({ argv: [], env: { TRACECAR_COLLECTOR_CONFIG: 'collector.yaml' }, cwd: dir }).httpPort,
    16001,
    'TRACECAR_COLLECTOR_CONFIG names the file',
  )
  writeFileSync(join(dir, 'typo.yaml'), 'retension:\n  maxAge: 7d\n')
  t.match(
    errorOf(t, () => loadCollectorConfig({ argv: ['--config', 'typo.yaml'], env: {}, cwd: dir })),
    /unknown key "retension" in typo\.yaml:1 \(allowed: store, dataDir, host, allowedHosts/,
  )
})

t.test('bad values and combinations are one line naming key, source and what is allowed', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--http-port', '99999'], /^tracecar: bad config: httpPort = "99999" \(from flag --http-port\): expected an integer port number/],
    [['--retention', 'forever'], /retention\.maxAge = "forever" \(from flag --retention\): expected a duration above zero/],
    [['--retention', '0s'], /retention\.maxAge = "0s" \(from flag --retention\): expected a duration above zero/],
    [['--retention', '30'], /retention\.maxAge = "30" \(from flag --retention\): expected a duration above zero: a number with a unit/],
    [['--max-db-size', '2 lots'], /retention\.maxSize = "2 lots" \(from flag --max-db-size\): expected a size/],
    [['--alert-eval-interval', '50ms'], /alerts\.evaluationInterval = "50ms" \(from flag --alert-eval-interval\): expected a duration of at least 100ms/],
    [['--max-body-bytes', '0'], /maxBodyBytes = "0" \(from flag --max-body-bytes\): expected a size/],
    [['--sync', 'sometimes'], /sync = "sometimes" \(from flag --sync\): expected one of full, normal/],
    [['--forward-endpoint', 'ftp://x'], /forward\.endpoint = "ftp:\/\/x" \(from flag --forward-endpoint\): expected an http: or https: URL/],
    [['--allowed-hosts', ','], /allowedHosts = \[","\] \(from flag --allowed-hosts\): expected a comma-separated list of host names/],
    [['--alert-webhook', 'mailto:x@y'], /alerts\.webhooks = \["mailto:x@y"\] \(from flag --alert-webhook\): "mailto:x@y" is not an http: or https: URL/],
    [
      ['--forward-header', 'authorization=secret'],
      /forward\.headers = \(hidden\) \(from flag --forward-header\): headers are only sent when forwarding: set forward\.endpoint/,
    ],
    [['--colour'], /unknown flag --colour \(run tracecar collector --help for the list\)/],
    [['--data-dir'], /flag --data-dir needs a value/],
    [['stray'], /unexpected argument "stray"/],
  ]
  for (const [argv, pattern] of cases) {
    const message = errorOf(t, () => loadCollectorConfig({ argv, env: {} }))
    t.match(message, pattern, argv.join(' '))
    t.notOk(message.includes('\n'), 'one line')
    t.notOk(message.includes('secret'), 'header values are never echoed')
  }
})

t.test('--help lists every key with its flag, its variable and its default', async (t) => {
  const text = collectorHelpText()
  const lines = text.split('\n')
  for (const key of COLLECTOR_KEYS) {
    const line = lines.find((candidate) => candidate.includes(` ${key.path}: `))
    if (!line) {
      t.fail(`no help line for ${key.path}`)
      continue
    }
    t.match(line, key.type.flagShape === 'boolean' ? `--[no-]${key.flag}` : `--${key.flag}`, `${key.path}: flag`)
    t.match(line, tracecarEnvName(key.path, COLLECTOR_SCHEMA.envPrefix), `${key.path}: env`)
    t.match(line, 'Default: ', `${key.path}: default`)
  }
  for (const extra of ['Usage: tracecar collector', '--config <file>', 'TRACECAR_COLLECTOR_CONFIG', '"event":"listening"']) t.match(text, extra)
})

t.test('docs/collector.md and config/collector.yaml are the ones generated from the schema', async (t) => {
  t.ok(readFileSync(`${root}docs/collector.md`, 'utf8').includes(configReferenceMarkdown(COLLECTOR_SCHEMA)), `docs/collector.md is stale; ${regenerate}`)
  const path = `${root}config/collector.yaml`
  t.equal(readFileSync(path, 'utf8'), exampleConfigYaml(COLLECTOR_DOCS), `config/collector.yaml is stale; ${regenerate}`)
  const inFile = readConfigFile(path, 'config/collector.yaml', COLLECTOR_SCHEMA)
  t.same(
    [...inFile.keys()].sort(),
    COLLECTOR_KEYS.filter((key) => key.default !== undefined)
      .map((key) => key.path)
      .sort(),
    'every key with a default is set',
  )
  t.strictSame(
    loadCollectorConfig({ argv: ['--config', path], env: {}, cwd: root }),
    loadCollectorConfig({ argv: [], env: {}, cwd: root }),
    'the example is the defaults',
  )
})
