import t from 'tap'
import { execFileSync } from 'node:child_process'
import { hostname } from 'node:os'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { detectResource } from '../../src/resource/resource.js'
import { ConfigError, loadProxyConfig } from '../../src/config/index.js'

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('without Kubernetes or OTEL_RESOURCE_ATTRIBUTES: service, host, process and SDK facts', async (t) => {
  const resource = detectResource({ serviceName: 'orders', resourceAttributes: {} }, {})
  t.strictSame(resource, {
    'service.name': 'orders',
    'service.instance.id': resource['service.instance.id'],
    'host.name': hostname(),
    'process.pid': process.pid,
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'telemetry.sdk.name': 'tracecar',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': packageVersion,
  })
  t.match(resource['service.instance.id'], UUID)
  t.equal(
    detectResource({ serviceName: 'x', resourceAttributes: {} }, {})['service.instance.id'],
    resource['service.instance.id'],
    'one instance id per process',
  )
})

t.test('another process gets another service.instance.id', async (t) => {
  const script =
    "import('./src/resource/resource.ts').then((m) => process.stdout.write(String(m.detectResource({ serviceName: 'x', resourceAttributes: {} }, {})['service.instance.id'])))"
  const cwd = fileURLToPath(new URL('../../', import.meta.url))
  const other = execFileSync(process.execPath, ['--import=tsx', '-e', script], { cwd, encoding: 'utf8' })
  t.match(other, UUID)
  t.not(other, detectResource({ serviceName: 'x', resourceAttributes: {} }, {})['service.instance.id'])
})

t.test('Kubernetes downward-API variables, first name set wins', async (t) => {
  const resource = detectResource(
    { serviceName: 'orders', resourceAttributes: {} },
    { POD_NAME: 'orders-7d9f', K8S_POD_NAME: 'ignored', K8S_NAMESPACE_NAME: 'shop', NODE_NAME: 'node-a', K8S_POD_UID: 'uid-1', K8S_CONTAINER_NAME: 'app' },
  )
  t.equal(resource['k8s.pod.name'], 'orders-7d9f')
  t.equal(resource['k8s.namespace.name'], 'shop')
  t.equal(resource['k8s.node.name'], 'node-a')
  t.equal(resource['k8s.pod.uid'], 'uid-1')
  t.equal(resource['k8s.container.name'], 'app')
  const alternate = detectResource({ serviceName: 'orders', resourceAttributes: {} }, { POD_NAMESPACE: 'ns1', K8S_NAMESPACE: 'ns2', POD_UID: 'u' })
  t.equal(alternate['k8s.namespace.name'], 'ns1')
  t.equal(alternate['k8s.pod.uid'], 'u')
  t.notOk('k8s.pod.name' in alternate, 'unset variables add nothing')
})

t.test('OTEL_RESOURCE_ATTRIBUTES, then config.resourceAttributes over it; service.name and sdk stay ours', async (t) => {
  const env = {
    OTEL_RESOURCE_ATTRIBUTES:
      'service.version=1.4.2,deployment.environment=staging,k8s.pod.name=from-otel,service.instance.id=pod-xyz,note=a%2Cb,telemetry.sdk.name=fake',
    POD_NAME: 'from-downward-api',
  }
  const config = loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:8080', '--resource-attribute', 'deployment.environment=prod'], env })
  const resource = detectResource(config, env)
  t.equal(resource['service.version'], '1.4.2')
  t.equal(resource['deployment.environment'], 'prod', 'config beats OTEL_RESOURCE_ATTRIBUTES')
  t.equal(resource['k8s.pod.name'], 'from-otel', 'OTEL_RESOURCE_ATTRIBUTES beats detection')
  t.equal(resource['service.instance.id'], 'pod-xyz', 'a given instance id is kept')
  t.equal(resource.note, 'a,b', 'percent-decoded')
  t.equal(resource['telemetry.sdk.name'], 'tracecar')
  t.equal(resource['service.name'], 'unknown_service:tracecar')

  const named = detectResource(loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:8080'], env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing' } }), {
    OTEL_RESOURCE_ATTRIBUTES: 'service.name=billing',
  })
  t.equal(named['service.name'], 'billing', 'service.name from OTEL_RESOURCE_ATTRIBUTES via the config')
})

t.test('a malformed OTEL_RESOURCE_ATTRIBUTES is a ConfigError', async (t) => {
  t.throws(() => detectResource({ serviceName: 'x', resourceAttributes: {} }, { OTEL_RESOURCE_ATTRIBUTES: 'oops' }), ConfigError)
})
