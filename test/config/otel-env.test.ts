import t from 'tap'
import { loadProxyConfig, type ProxyConfig } from '../../src/config/index.js'

const load = (env: Record<string, string>): ProxyConfig => loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:8080'], env })
const fails = (env: Record<string, string>): string => {
  try {
    load(env)
  } catch (error) {
    return (error as Error).message
  }
  return 'did not fail'
}

t.test('OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES', async (t) => {
  t.equal(load({ OTEL_SERVICE_NAME: 'orders' }).serviceName, 'orders')
  t.equal(load({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing%20api,team=x' }).serviceName, 'billing api')
  t.equal(load({ OTEL_SERVICE_NAME: 'orders', OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing' }).serviceName, 'orders')
  t.equal(load({ OTEL_RESOURCE_ATTRIBUTES: 'team=x' }).serviceName, 'unknown_service:tracecar')
  t.equal(load({ OTEL_SERVICE_NAME: '' }).serviceName, 'unknown_service:tracecar', 'empty OTEL_* counts as unset')
  t.match(
    fails({ OTEL_RESOURCE_ATTRIBUTES: 'team' }),
    /^tracecar: bad config: OTEL_RESOURCE_ATTRIBUTES = "team" \(from env OTEL_RESOURCE_ATTRIBUTES\): entry "team" is not key=value/,
  )
  t.match(fails({ OTEL_RESOURCE_ATTRIBUTES: 'a=%zz' }), /bad percent-escape/)
})

t.test('OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', async (t) => {
  const config = load({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
  t.same(config.sampling, { sampler: 'parentbased_traceidratio', ratio: 0.25 })
  for (const name of ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']) {
    t.equal(load({ OTEL_TRACES_SAMPLER: name }).sampling.sampler, name)
  }
  t.match(
    fails({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }),
    /sampling\.sampler = "jaeger_remote" \(from env OTEL_TRACES_SAMPLER\): jaeger_remote is not supported/,
  )
  t.match(fails({ OTEL_TRACES_SAMPLER_ARG: '1.5' }), /sampling\.ratio = "1\.5" \(from env OTEL_TRACES_SAMPLER_ARG\): expected a number from 0 to 1/)
})

t.test('OTEL_PROPAGATORS sets both extract and inject; baggage ignored; none empties', async (t) => {
  let config = load({ OTEL_PROPAGATORS: 'tracecontext,baggage,b3' })
  t.same(config.propagation.extract, ['tracecontext', 'b3'])
  t.same(config.propagation.inject, ['tracecontext', 'b3'])
  config = load({ OTEL_PROPAGATORS: 'b3multi, jaeger' })
  t.same(config.propagation.extract, ['b3multi', 'jaeger'])
  config = load({ OTEL_PROPAGATORS: 'none' })
  t.same(config.propagation.extract, [])
  t.same(config.propagation.inject, [])
  config = load({ OTEL_PROPAGATORS: 'baggage' })
  t.same(config.propagation.inject, [], 'baggage alone leaves nothing to inject, with no error')
  config = load({ OTEL_PROPAGATORS: 'b3', TRACECAR_PROPAGATION_EXTRACT: 'tracecontext,b3' })
  t.same(config.propagation.extract, ['tracecontext', 'b3'], 'TRACECAR_ wins for extract')
  t.same(config.propagation.inject, ['b3'], 'OTEL_PROPAGATORS still sets inject')
  t.match(
    fails({ OTEL_PROPAGATORS: 'tracecontext,xray' }),
    /propagation\.extract = "tracecontext,xray" \(from env OTEL_PROPAGATORS\): unknown propagator "xray"/,
  )
})

t.test('OTEL_EXPORTER_OTLP_ENDPOINT is a base URL; the signal variants are used as-is', async (t) => {
  let config = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })
  t.equal(config.exporter.endpoint, 'http://collector:4318/v1/traces')
  t.equal(config.exporter.logsEndpoint, 'http://collector:4318/v1/logs')
  config = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://gw.example/otlp/' })
  t.equal(config.exporter.endpoint, 'https://gw.example/otlp/v1/traces')
  config = load({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9/custom',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs:9/custom-logs',
  })
  t.equal(config.exporter.endpoint, 'http://traces:9/custom')
  t.equal(config.exporter.logsEndpoint, 'http://logs:9/custom-logs')
  t.match(
    fails({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }),
    /exporter\.endpoint = "collector:4318" \(from env OTEL_EXPORTER_OTLP_ENDPOINT\): expected an http: or https: URL/,
  )
})

t.test('OTEL_EXPORTER_OTLP_PROTOCOL / _TRACES_PROTOCOL; grpc is refused clearly', async (t) => {
  t.equal(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).exporter.protocol, 'http/json')
  t.equal(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).exporter.protocol, 'http/protobuf')
  t.match(
    fails({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }),
    /^tracecar: bad config: exporter\.protocol = "grpc" \(from env OTEL_EXPORTER_OTLP_TRACES_PROTOCOL\): grpc is not supported by the sidecar exporter/,
  )
})

t.test('OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS: merged, percent-decoded, checked', async (t) => {
  t.same(load({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db,x-org=1' }).exporter.headers, { 'api-key': 'a=b', 'x-org': '1' })
  t.same(load({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=generic,x-org=1', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'api-key=traces' }).exporter.headers, {
    'api-key': 'traces',
    'x-org': '1',
  })
  const message = fails({ OTEL_EXPORTER_OTLP_HEADERS: 'bad name=secret-token' })
  t.match(message, /exporter\.headers = \(value hidden\) \(from env OTEL_EXPORTER_OTLP_HEADERS\): header name "bad name" is not a valid HTTP token/)
  t.notMatch(message, /secret-token/, 'header values are never echoed')
})

t.test('OTEL_EXPORTER_OTLP_COMPRESSION and the timeouts', async (t) => {
  t.equal(load({ OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }).exporter.compression, 'none')
  t.equal(load({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }).exporter.compression, 'gzip')
  t.match(
    fails({ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }),
    /exporter\.compression = "zstd" \(from env OTEL_EXPORTER_OTLP_COMPRESSION\): expected one of gzip, none/,
  )
  t.equal(load({ OTEL_BSP_EXPORT_TIMEOUT: '30000' }).exporter.timeoutMs, 30000)
  t.equal(load({ OTEL_BSP_EXPORT_TIMEOUT: '30000', OTEL_EXPORTER_OTLP_TIMEOUT: '7000' }).exporter.timeoutMs, 7000)
  t.equal(load({ OTEL_EXPORTER_OTLP_TIMEOUT: '7000', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000' }).exporter.timeoutMs, 3000)
  t.match(
    fails({ OTEL_EXPORTER_OTLP_TIMEOUT: '0' }),
    /exporter\.timeoutMs = "0" \(from env OTEL_EXPORTER_OTLP_TIMEOUT\): expected an integer number of milliseconds >= 1/,
  )
})

t.test('OTEL_BSP_* batch settings; batch size must fit the queue', async (t) => {
  const config = load({ OTEL_BSP_SCHEDULE_DELAY: '1000', OTEL_BSP_MAX_QUEUE_SIZE: '4096', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1024' })
  t.equal(config.exporter.scheduledDelayMs, 1000)
  t.equal(config.exporter.maxQueueSize, 4096)
  t.equal(config.exporter.maxExportBatchSize, 1024)
  t.equal(
    fails({ OTEL_BSP_MAX_QUEUE_SIZE: '256' }),
    'tracecar: bad config: exporter.maxExportBatchSize = 512 (from default): must be <= exporter.maxQueueSize (256, from env OTEL_BSP_MAX_QUEUE_SIZE)',
  )
})

t.test('OTEL_TRACES_EXPORTER and OTEL_SDK_DISABLED', async (t) => {
  t.equal(load({ OTEL_TRACES_EXPORTER: 'console' }).exporter.type, 'console')
  t.equal(load({ OTEL_TRACES_EXPORTER: 'none' }).exporter.type, 'none')
  t.equal(load({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).exporter.type, 'none')
  t.equal(load({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'console' }).exporter.type, 'console')
  t.equal(load({ OTEL_SDK_DISABLED: 'true', TRACECAR_EXPORTER_TYPE: 'otlp' }).exporter.type, 'otlp', 'TRACECAR_ still wins')
  t.match(fails({ OTEL_SDK_DISABLED: 'yes' }), /exporter\.type = "yes" \(from env OTEL_SDK_DISABLED\): expected true or false/)
  t.match(fails({ OTEL_TRACES_EXPORTER: 'zipkin' }), /exporter\.type = "zipkin" \(from env OTEL_TRACES_EXPORTER\): zipkin is not supported/)
})
