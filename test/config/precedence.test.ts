import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadProxyConfig, resolveProxyConfig } from '../../src/config/index.js'

const upstream = ['--upstream', 'http://127.0.0.1:8080']

t.test('with only the upstream given, every key has its documented default', async (t) => {
  const config = loadProxyConfig({ argv: upstream, env: {} })
  t.strictSame(config, {
    serviceName: 'unknown_service:tracecar',
    upstream: 'http://127.0.0.1:8080',
    listen: { host: '0.0.0.0', port: 15006 },
    admin: { enabled: true, host: '127.0.0.1', port: 15000 },
    preserveHost: true,
    httpEngine: 'raw',
    timeouts: { connectMs: 5000, headersMs: 60000, idleMs: 300000, drainMs: 20000 },
    limits: { maxHeaderBytes: 16384, maxUpstreamConnections: 256 },
    propagation: { extract: ['tracecontext', 'b3', 'b3multi', 'jaeger'], inject: ['tracecontext'], injectIncoming: true },
    sampling: { sampler: 'parentbased_always_on', ratio: 1 },
    headers: { traceId: 'x-trace-id', spanId: 'x-span-id', requestId: 'x-request-id', responseTraceId: true, traceresponse: true },
    routes: [],
    outbound: {
      enabled: true,
      host: '127.0.0.1',
      port: 15001,
      allowClients: ['127.0.0.0/8', '::1'],
      exclude: [],
      routes: [],
      join: ['context', 'correlation'],
      correlationHeaders: ['x-span-id', 'x-request-id', 'x-trace-id'],
    },
    accessLog: { enabled: true, destination: 'stdout', otlp: false },
    resourceAttributes: {},
    exporter: {
      type: 'otlp',
      endpoint: 'http://127.0.0.1:4318/v1/traces',
      logsEndpoint: 'http://127.0.0.1:4318/v1/logs',
      protocol: 'http/protobuf',
      compression: 'gzip',
      headers: {},
      timeoutMs: 10000,
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      scheduledDelayMs: 5000,
      workers: 1,
      maxAttempts: 5,
      initialBackoffMs: 1000,
      maxBackoffMs: 5000,
      maxConcurrentExports: 2,
    },
  })
})

t.test('flag beats env beats file beats default, key by key', async (t) => {
  const dir = t.testdir({
    'tracecar.yaml': [
      'upstream: http://file-upstream:1',
      'serviceName: from-file',
      'timeouts:',
      '  connectMs: 3000',
      '  headersMs: 3001',
      '  idleMs: 3002',
      'sampling:',
      '  sampler: always_off',
    ].join('\n'),
  })
  const { config, origins } = resolveProxyConfig({
    argv: ['--config', 'tracecar.yaml', '--connect-timeout-ms', '1000', '--sampler', 'traceidratio'],
    env: { TRACECAR_TIMEOUTS_CONNECT_MS: '2000', TRACECAR_TIMEOUTS_HEADERS_MS: '2001', OTEL_SERVICE_NAME: 'from-env' },
    cwd: dir,
  })
  t.equal(config.timeouts.connectMs, 1000, 'flag over env and file')
  t.equal(config.timeouts.headersMs, 2001, 'env over file')
  t.equal(config.timeouts.idleMs, 3002, 'file over default')
  t.equal(config.timeouts.drainMs, 20000, 'default when nobody says')
  t.equal(config.sampling.sampler, 'traceidratio', 'flag over file')
  t.equal(config.serviceName, 'from-env', 'OTEL env over file')
  t.equal(config.upstream, 'http://file-upstream:1', 'file gives the required upstream')
  t.equal(origins.get('timeouts.connectMs'), 'flag --connect-timeout-ms')
  t.equal(origins.get('timeouts.headersMs'), 'env TRACECAR_TIMEOUTS_HEADERS_MS')
  t.equal(origins.get('timeouts.idleMs'), 'file tracecar.yaml:6')
  t.equal(origins.get('timeouts.drainMs'), 'default')
})

t.test('TRACECAR_* beats the OTEL_* variable for the same key', async (t) => {
  const config = loadProxyConfig({
    argv: upstream,
    env: {
      OTEL_SERVICE_NAME: 'otel-name',
      TRACECAR_SERVICE_NAME: 'tracecar-name',
      OTEL_TRACES_SAMPLER: 'always_off',
      TRACECAR_SAMPLING_SAMPLER: 'always_on',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      TRACECAR_EXPORTER_MAX_QUEUE_SIZE: '4096',
    },
  })
  t.equal(config.serviceName, 'tracecar-name')
  t.equal(config.sampling.sampler, 'always_on')
  t.equal(config.exporter.maxQueueSize, 4096)
})

t.test('an OTEL_* value that is shadowed by a TRACECAR_* one is not validated', async (t) => {
  // The application in the same pod may be configured for gRPC; the sidecar steps around it.
  const config = loadProxyConfig({
    argv: upstream,
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', TRACECAR_EXPORTER_PROTOCOL: 'http/json' },
  })
  t.equal(config.exporter.protocol, 'http/json')
})

t.test('a bad value in our own sources fails even when a flag overrides it', async (t) => {
  t.throws(() => loadProxyConfig({ argv: [...upstream, '--listen-port', '80'], env: { TRACECAR_LISTEN_PORT: 'eighty' } }), {
    name: 'ConfigError',
    message: /listen\.port = "eighty" \(from env TRACECAR_LISTEN_PORT\)/,
  })
})

t.test('host:port shorthands, and a specific key beats the shorthand in the same source', async (t) => {
  let config = loadProxyConfig({ argv: [...upstream, '--listen', '127.0.0.1:8081', '--admin', '[::1]:0'], env: {} })
  t.same(config.listen, { host: '127.0.0.1', port: 8081 })
  t.same(config.admin, { enabled: true, host: '::1', port: 0 })
  config = loadProxyConfig({ argv: [...upstream, '--listen', '127.0.0.1:8081', '--listen-port', '9000'], env: {} })
  t.same(config.listen, { host: '127.0.0.1', port: 9000 })
  config = loadProxyConfig({ argv: upstream, env: { TRACECAR_LISTEN: '0.0.0.0:7000', TRACECAR_ADMIN: '127.0.0.1:7001' } })
  t.same(config.listen, { host: '0.0.0.0', port: 7000 })
  t.equal(config.admin.port, 7001)
})

t.test('booleans: --x, --no-x, --x=false and env true/false', async (t) => {
  t.equal(loadProxyConfig({ argv: [...upstream, '--no-access-log'], env: {} }).accessLog.enabled, false)
  t.equal(loadProxyConfig({ argv: [...upstream, '--access-log=false'], env: {} }).accessLog.enabled, false)
  t.equal(loadProxyConfig({ argv: [...upstream, '--access-log=TRUE'], env: { TRACECAR_ACCESS_LOG_ENABLED: 'false' } }).accessLog.enabled, true)
  t.equal(loadProxyConfig({ argv: upstream, env: { TRACECAR_ACCESS_LOG_ENABLED: 'false' } }).accessLog.enabled, false)
  const config = loadProxyConfig({ argv: [...upstream, '--no-admin-enabled', '--no-preserve-host', '--no-traceresponse'], env: {} })
  t.equal(config.admin.enabled, false)
  t.equal(config.preserveHost, false)
  t.equal(config.headers.traceresponse, false)
})

t.test('repeatable flags: routes, exporter headers, resource attributes, formats', async (t) => {
  const config = loadProxyConfig({
    argv: [
      ...upstream,
      '--route',
      '/users/:id',
      '--route',
      '/static/*',
      '--header',
      'authorization=Bearer a=b',
      '--header',
      'x-tenant=7',
      '--resource-attribute',
      'deployment.environment=prod',
      '--extract',
      'b3',
      '--extract',
      'tracecontext,jaeger',
      '--inject',
      'tracecontext,b3multi',
    ],
    env: {},
  })
  t.same(config.routes, ['/users/:id', '/static/*'])
  t.same(config.exporter.headers, { authorization: 'Bearer a=b', 'x-tenant': '7' })
  t.same(config.resourceAttributes, { 'deployment.environment': 'prod' })
  t.same(config.propagation.extract, ['b3', 'tracecontext', 'jaeger'])
  t.same(config.propagation.inject, ['tracecontext', 'b3multi'])
})

t.test('env lists and maps: comma-separated, k=v percent-decoded', async (t) => {
  const config = loadProxyConfig({
    argv: upstream,
    env: {
      TRACECAR_ROUTES: '/a/:x, /b/*',
      TRACECAR_EXPORTER_HEADERS: 'api-key=abc%2Cdef',
      TRACECAR_RESOURCE_ATTRIBUTES: 'team=payments',
      TRACECAR_PROPAGATION_INJECT: 'none',
      TRACECAR_HEADERS_TRACE_ID: '',
      TRACECAR_HEADERS_SPAN_ID: 'X-My-Span',
    },
  })
  t.same(config.routes, ['/a/:x', '/b/*'])
  t.same(config.exporter.headers, { 'api-key': 'abc,def' })
  t.same(config.resourceAttributes, { team: 'payments' })
  t.same(config.propagation.inject, [])
  t.equal(config.headers.traceId, '', 'an empty TRACECAR_ variable disables the header')
  t.equal(config.headers.spanId, 'x-my-span', 'header names are lower-cased')
})

t.test('upstream is reduced to its origin; a relative access log path follows cwd', async (t) => {
  const dir = t.testdir({})
  const config = loadProxyConfig({
    argv: ['--upstream', 'https://Service.local:8443/', '--access-log-destination', 'logs/access.log'],
    env: {},
    cwd: dir,
  })
  t.equal(config.upstream, 'https://service.local:8443')
  t.equal(config.accessLog.destination, join(dir, 'logs/access.log'))
})

t.test('TRACECAR_CONFIG names the file when --config is absent', async (t) => {
  const dir = t.testdir({})
  writeFileSync(join(dir, 'a.yaml'), 'upstream: http://a:1\n')
  writeFileSync(join(dir, 'b.yaml'), 'upstream: http://b:1\n')
  t.equal(loadProxyConfig({ argv: [], env: { TRACECAR_CONFIG: 'a.yaml' }, cwd: dir }).upstream, 'http://a:1')
  t.equal(loadProxyConfig({ argv: ['--config', 'b.yaml'], env: { TRACECAR_CONFIG: 'a.yaml' }, cwd: dir }).upstream, 'http://b:1')
})

t.test('the logs endpoint follows a traces endpoint ending in /v1/traces unless set itself', async (t) => {
  let config = loadProxyConfig({ argv: [...upstream, '--otlp-endpoint', 'https://otel.example:4318/v1/traces'], env: {} })
  t.equal(config.exporter.logsEndpoint, 'https://otel.example:4318/v1/logs')
  config = loadProxyConfig({ argv: [...upstream, '--otlp-endpoint', 'https://otel.example/ingest'], env: {} })
  t.equal(config.exporter.logsEndpoint, 'http://127.0.0.1:4318/v1/logs')
  config = loadProxyConfig({
    argv: [...upstream, '--otlp-endpoint', 'https://otel.example:4318/v1/traces', '--otlp-logs-endpoint', 'http://logs:1/x'],
    env: {},
  })
  t.equal(config.exporter.logsEndpoint, 'http://logs:1/x')
})

t.test('the YAML file: nested keys, host:port shorthand, maps and lists', async (t) => {
  const dir = t.testdir({
    'tracecar.yaml': [
      'upstream: http://127.0.0.1:9000',
      'listen: "127.0.0.1:18080"',
      'admin:',
      '  enabled: false',
      'routes:',
      '  - /users/:id',
      '  - /static/*',
      'propagation:',
      '  extract: [b3, tracecontext]',
      'resourceAttributes:',
      '  deployment.environment: prod',
      '  build: 42',
      'exporter:',
      '  headers:',
      '    authorization: Bearer abc',
      '  maxQueueSize: 100',
      '  maxExportBatchSize: 50',
    ].join('\n'),
    'empty.yaml': '# nothing but a comment\n',
  })
  const config = loadProxyConfig({ argv: ['--config', 'tracecar.yaml'], env: {}, cwd: dir })
  t.same(config.listen, { host: '127.0.0.1', port: 18080 })
  t.equal(config.admin.enabled, false)
  t.same(config.routes, ['/users/:id', '/static/*'])
  t.same(config.propagation.extract, ['b3', 'tracecontext'])
  t.same(config.resourceAttributes, { 'deployment.environment': 'prod', build: '42' })
  t.same(config.exporter.headers, { authorization: 'Bearer abc' })
  t.equal(config.exporter.maxExportBatchSize, 50)
  t.equal(loadProxyConfig({ argv: ['--config', 'empty.yaml', ...upstream], env: {}, cwd: dir }).listen.port, 15006, 'an empty file sets nothing')
})
