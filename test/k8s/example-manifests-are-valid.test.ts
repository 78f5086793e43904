/**
 * The manifests in config/k8s/ are what a platform team applies first: every object is
 * valid for the Kubernetes API, the pieces point at each other (Service names, ports,
 * paths, the collector address the sidecars default to), the webhook fails open and only
 * serves labelled namespaces, and the sample app injects cleanly.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { DEFAULT_INJECT_OPTIONS } from '../../src/k8s/inject-options.ts'
import { runTracecar } from './run-tracecar.js'
import { unknownContainerFields, validateObject } from './kubernetes-schema.js'

type Obj = Record<string, any>

const dir = fileURLToPath(new URL('../../config/k8s/', import.meta.url))
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
const objects: Obj[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(dir + f, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0].message}`)
    return d.toJS() as Obj
  }),
)
const find = (kind: string, name: string): Obj => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name)
  if (!o) throw new Error(`no ${kind} ${name} in config/k8s`)
  return o
}

t.test('every object is valid for the Kubernetes API', async (t) => {
  t.ok(files.length >= 4)
  for (const object of objects) {
    t.doesNotThrow(() => validateObject(object), `${object.kind} ${object.metadata.name}`)
    const spec = object.spec?.template?.spec
    for (const c of spec?.containers ?? []) t.same(unknownContainerFields(c), [], `${object.metadata.name}/${c.name}: known fields only`)
  }
})

t.test('the webhook fails open, serves labelled namespaces, and its Service leads to it', async (t) => {
  const config = find('MutatingWebhookConfiguration', 'tracecar-inject')
  const hook = config.webhooks[0]
  t.equal(hook.failurePolicy, 'Ignore')
  t.same(hook.namespaceSelector, { matchLabels: { 'tracecar.io/inject': 'enabled' } })
  t.same(hook.admissionReviewVersions, ['v1'])
  t.same(hook.rules[0].operations, ['CREATE'])
  t.same(hook.rules[0].resources, ['pods'])
  const service = find('Service', hook.clientConfig.service.name)
  t.equal(service.metadata.namespace, hook.clientConfig.service.namespace)
  t.equal(hook.clientConfig.service.path, '/mutate', 'the path tracecar webhook serves')
  const port = service.spec.ports.find((p: Obj) => p.port === hook.clientConfig.service.port)
  const deployment = find('Deployment', 'tracecar-webhook')
  t.same(deployment.spec.selector.matchLabels, service.spec.selector)
  const container = deployment.spec.template.spec.containers[0]
  const containerPort = container.ports.find((p: Obj) => p.name === port.targetPort)
  t.ok(containerPort, 'the Service targets a declared port')
  t.ok(container.args.includes(`--port=${containerPort.containerPort}`), 'where the webhook listens')
  const mount = container.volumeMounts.find((m: Obj) => m.name === 'tls').mountPath
  t.ok(
    container.args.includes(`--tls-cert-file=${mount}/tls.crt`) && container.args.includes(`--tls-key-file=${mount}/tls.key`),
    'certificates from the Secret volume',
  )
  t.equal(deployment.spec.template.metadata.annotations['tracecar.io/inject'], 'disabled', 'the webhook never injects itself')
  t.notOk(find('Namespace', 'tracecar').metadata.labels?.['tracecar.io/inject'], "tracecar's namespace is not selected")
})

t.test('the collector: data on a claim, reachable where sidecars send by default', async (t) => {
  const deployment = find('Deployment', 'tracecar-collector')
  t.equal(deployment.spec.strategy.type, 'Recreate', 'never two pods on one SQLite file')
  const volumes = deployment.spec.template.spec.volumes
  const claim = volumes.find((v: Obj) => v.persistentVolumeClaim).persistentVolumeClaim.claimName
  t.ok(find('PersistentVolumeClaim', claim))
  const service = find('Service', 'tracecar-collector')
  const url = new URL(DEFAULT_INJECT_OPTIONS.collectorEndpoint)
  t.equal(url.hostname, `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`)
  t.ok(
    service.spec.ports.some((p: Obj) => String(p.port) === url.port),
    'the OTLP/HTTP port is served',
  )
  const args = deployment.spec.template.spec.containers[0].args
  t.same(args.slice(0, 3), ['collector', '--host', '0.0.0.0'], 'listening beyond loopback, as a Service needs')
})

t.test('the sample app lives in a labelled namespace and injects cleanly', async (t) => {
  const app = readFileSync(`${dir}30-sample-app.yaml`, 'utf8')
  t.equal(find('Namespace', 'tracecar-demo').metadata.labels['tracecar.io/inject'], 'enabled')
  const result = await runTracecar(['inject', '-f', `${dir}30-sample-app.yaml`])
  t.equal(result.code, 0, result.stderr)
  t.match(result.stderr, /deployment\/hello -n tracecar-demo: injected/)
  for (const d of parseAllDocuments(result.stdout)) t.doesNotThrow(() => validateObject(d.toJS() as Obj))
  const back = await runTracecar(['uninject', '-f', '-'], result.stdout)
  t.equal(back.stdout, app)
})
