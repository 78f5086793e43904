/**
 * `tracecar collector`'s flags and TRACECAR_COLLECTOR_* variables become the options the
 * collector starts with, as they did when the command parsed its flags by hand: the same
 * defaults, the same meaning for every flag, and a store URL checked before anything opens.
 */
import t from 'tap'
import { resolve } from 'node:path'
import { loadCollectorCommandConfig, parseCollectorFlags } from '../../src/cli/collector-command.js'
import { ConfigError } from '../../src/config/config-error.js'

t.test('every flag users had keeps its meaning', async (t) => {
  const { options, observability } = loadCollectorCommandConfig(
    [
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
      '--store',
      'clickhouse://default@127.0.0.1:8123/tracecar',
    ],
    {},
    '/srv',
  )
  t.strictSame(options, {
    store: 'clickhouse://default@127.0.0.1:8123/tracecar',
    dataDir: resolve('/srv', 'store'),
    host: '0.0.0.0',
    otlpHttpPort: 0,
    otlpGrpcPort: 14317,
    httpPort: 26686,
    maxBodyBytes: 4 * 1024 ** 2,
    synchronous: 'normal',
    retention: { maxAgeMs: 72 * 3_600_000, maxBytes: 2 * 1024 ** 3, intervalMs: 30_000 },
    allowedHosts: ['a.example', 'b', 'c'],
    forward: { endpoint: 'http://otel:4318', headers: { authorization: 'Bearer x=y' } },
    uiDir: resolve('/srv', 'ui'),
  })
  t.strictSame(observability, {
    alertWebhookUrls: ['http://hooks/a'],
    alertmanagerUrls: ['http://am:9093'],
    logTraceIdFields: ['req.id', 'dd:decimal'],
    logTraceIdPatterns: ['corr#(?<traceId>[0-9a-f]{1,32})'],
    alertRulesPath: resolve('/srv', 'rules.yaml'),
    uiBaseUrl: 'http://tracecar.example',
    evaluationIntervalMs: 500,
  })
  t.equal((parseCollectorFlags(['--no-ui']) as { uiDir: unknown }).uiDir, null, '--no-ui serves no UI')
  t.equal((parseCollectorFlags(['--allowed-hosts', 'any']) as { allowedHosts: unknown }).allowedHosts, 'any')
  t.equal(parseCollectorFlags(['-h']), 'help')
})

t.test('nothing given: the defaults the collector always had', async (t) => {
  const { options, observability } = loadCollectorCommandConfig([], {}, '/srv')
  t.strictSame(options, {
    store: 'sqlite',
    dataDir: resolve('/srv', 'data'),
    host: '127.0.0.1',
    otlpHttpPort: 4318,
    otlpGrpcPort: 4317,
    httpPort: 16686,
    maxBodyBytes: 16 * 1024 ** 2,
    synchronous: 'full',
    retention: { maxAgeMs: undefined, maxBytes: undefined, intervalMs: 60_000 },
  })
  t.strictSame(observability, { alertWebhookUrls: [], alertmanagerUrls: [], logTraceIdFields: [], logTraceIdPatterns: [] })
})

t.test('the environment sets the store and the retention of a Kubernetes Deployment', async (t) => {
  const { options } = loadCollectorCommandConfig([], {
    TRACECAR_COLLECTOR_STORE: 'clickhouse://tracecar:pw@clickhouse:8123/traces',
    TRACECAR_COLLECTOR_HOST: '0.0.0.0',
    TRACECAR_COLLECTOR_RETENTION_MAX_AGE: '7d',
  })
  t.match(options, { store: 'clickhouse://tracecar:pw@clickhouse:8123/traces', host: '0.0.0.0', retention: { maxAgeMs: 7 * 86_400_000 } })
})

t.test('a store that is neither sqlite nor a usable ClickHouse URL is one line naming where it came from', async (t) => {
  for (const [argv, env, pattern] of [
    [
      ['--store', 'postgres://x'],
      {},
      /^tracecar: bad config: store = "postgres:\/\/x" \(from flag --store\): expected sqlite or a ClickHouse URL such as clickhouse:\/\//,
    ],
    [
      [],
      { TRACECAR_COLLECTOR_STORE: 'clickhouse://h/bad-name' },
      /^tracecar: bad config: store = "clickhouse:\/\/h\/bad-name" \(from env TRACECAR_COLLECTOR_STORE\): the database name "bad-name" must be letters, digits and _; give e\.g\./,
    ],
  ] as const) {
    let message = ''
    try {
      loadCollectorCommandConfig([...argv], env)
    } catch (error) {
      t.type(error, ConfigError)
      message = (error as Error).message
    }
    t.match(message, pattern)
    t.notOk(message.includes('\n'), 'one line')
  }
})
