/**
 * What a platform team relies on in an injected pod: the sidecar starts before the app and
 * outlives it, is probed on its admin port, runs locked down, reads its configuration
 * (the real config loader accepts it) and learns the pod's name, namespace and node from
 * the downward API, in each capture mode. Every manifest here goes through the real CLI.
 */
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { loadProxyConfig } from '../../src/config/index.ts'
import { detectResource } from '../../src/resource/resource.ts'
import { fixturePath, runTracecar } from './run-tracecar.js'
import { unknownContainerFields } from './kubernetes-schema.js'

type Obj = Record<string, any>

async function inject(args: string[], stdin?: string): Promise<{ objects: Obj[]; stderr: string; code: number | null; stdout: string }> {
  const result = await runTracecar(['inject', '--image', 'tracecar:test', ...args], stdin)
  const objects = result.code === 0 ? parseAllDocuments(result.stdout).map((d) => d.toJS() as Obj) : []
  return { ...result, objects }
}

const podSpec = (object: Obj): Obj =>
  object.kind === 'Pod' ? object.spec : object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec
const named = (list: Obj[] | undefined, name: string): Obj | undefined => list?.find((c) => c.name === name)

/** The sidecar's environment as the kubelet would give it: downward-API fields resolved from the pod. */
function resolvedEnv(container: Obj, pod: { name: string; namespace: string; node: string; uid: string }): Record<string, string> {
  const fields: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace, 'spec.nodeName': pod.node, 'metadata.uid': pod.uid }
  const env: Record<string, string> = {}
  for (const entry of container.env as Obj[]) {
    env[entry.name] = entry.value ?? fields[entry.valueFrom?.fieldRef?.fieldPath]
  }
  return env
}

t.test('move-app-port: a native sidecar on the app port, the app told to move', async (t) => {
  const { objects, code } = await inject(['-f', fixturePath('deployment-basic.yaml')])
  t.equal(code, 0)
  const spec = podSpec(objects[0])
  const sidecar = named(spec.initContainers, 'tracecar-proxy')!
  t.ok(sidecar, 'the sidecar is an init container')
  t.equal(sidecar.restartPolicy, 'Always', 'native sidecar: restartPolicy Always')
  t.equal(named(spec.containers, 'tracecar-proxy'), undefined, 'and not a regular container')
  t.same(unknownContainerFields(sidecar), [], 'every field is one the Kubernetes API knows')
  t.same(sidecar.args, ['proxy'])
  t.match(sidecar.startupProbe, { httpGet: { path: '/healthz', port: 15000 } }, 'startup gated on /healthz, not /ready (which waits for the app)')
  t.match(sidecar.livenessProbe, { httpGet: { path: '/healthz', port: 15000 } })
  t.match(sidecar.readinessProbe, { httpGet: { path: '/ready', port: 15000 } })
  t.match(sidecar.resources, { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } })
  t.same(sidecar.securityContext.capabilities, { drop: ['ALL'] })
  t.match(sidecar.securityContext, { runAsNonRoot: true, runAsUser: 1337, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false })
  t.same(named(spec.containers, 'web')!.env.at(-1), { name: 'PORT', value: '15080' }, 'the app is told its new port')

  const env = resolvedEnv(sidecar, { name: 'web-5d9c-abcde', namespace: 'shop', node: 'node-3', uid: '0b1c' })
  const config = loadProxyConfig({ argv: [], env })
  t.equal(config.upstream, 'http://127.0.0.1:15080', 'the sidecar forwards to the moved app')
  t.equal(config.listen.port, 8080, 'and listens where the Service sends traffic')
  t.equal(config.admin.host, '0.0.0.0', 'admin reachable by the kubelet probes')
  t.equal(config.admin.port, 15000)
  t.equal(config.serviceName, 'web')
  t.equal(config.exporter.endpoint, 'http://tracecar-collector.tracecar.svc.cluster.local:4318/v1/traces')
  const resource = detectResource(config, env)
  t.match(
    resource,
    {
      'k8s.pod.name': 'web-5d9c-abcde',
      'k8s.namespace.name': 'shop',
      'k8s.node.name': 'node-3',
      'k8s.pod.uid': '0b1c',
      'k8s.container.name': 'web',
      'service.name': 'web',
    },
    'spans carry the k8s.* resource attributes',
  )
})

t.test('annotations beat flags: service name, sampling, collector, app port', async (t) => {
  const { objects } = await inject([
    '-f',
    fixturePath('statefulset-multi-container.yaml'),
    '--sampling',
    '0.5',
    '--collector-endpoint',
    'http://flag.example:4318',
  ])
  const spec = podSpec(objects[0])
  const sidecar = named(spec.initContainers, 'tracecar-proxy')!
  t.same(
    spec.initContainers.map((c: Obj) => c.name),
    ['migrate', 'tracecar-proxy'],
    'existing init containers still run first',
  )
  const config = loadProxyConfig({ argv: [], env: resolvedEnv(sidecar, { name: 'ledger-0', namespace: 'payments', node: 'n', uid: 'u' }) })
  t.equal(config.serviceName, 'ledger-api', 'tracecar.io/service-name on the workload')
  t.equal(config.sampling.sampler, 'parentbased_traceidratio')
  t.equal(config.sampling.ratio, 0.25, 'tracecar.io/sampling beats --sampling')
  t.equal(config.exporter.endpoint, 'http://flag.example:4318/v1/traces', '--collector-endpoint when no annotation')
  t.equal(config.listen.port, 9000, 'the port PORT named, not the metrics port declared first')
  t.same(named(spec.containers, 'ledger')!.env[0], { name: 'PORT', value: '15080' }, 'the existing PORT is changed in place')

  const iptables = await inject(['-f', fixturePath('iptables.yaml')])
  const billing = named(podSpec(iptables.objects[0]).initContainers, 'tracecar-proxy')!
  t.equal(
    loadProxyConfig({ argv: [], env: resolvedEnv(billing, { name: 'b', namespace: 'billing', node: 'n', uid: 'u' }) }).exporter.endpoint,
    'http://otel-collector.observability:4318/v1/traces',
    'tracecar.io/collector-endpoint',
  )
})

t.test('service-target-port: Services selecting the pods are pointed at the sidecar, others left alone', async (t) => {
  const { objects, stderr } = await inject(['-f', fixturePath('service-target-port.yaml')])
  const [orders, direct, payments, deployment] = objects
  t.equal(orders.spec.ports[0].targetPort, 15006)
  t.equal(direct.spec.ports[0].targetPort, 15006, 'a Service with no targetPort (= port = the app port) too')
  t.equal(direct.spec.ports[0].port, 8080)
  t.equal(payments.spec.ports[0].targetPort, 8080, 'a Service selecting other pods is untouched')
  t.notOk(payments.metadata.annotations, 'and carries no tracecar annotation')
  const sidecar = named(podSpec(deployment).initContainers, 'tracecar-proxy')!
  t.same(
    sidecar.ports.map((p: Obj) => [p.name, p.containerPort]),
    [
      ['tracecar-in', 15006],
      ['tracecar-admin', 15000],
    ],
  )
  const config = loadProxyConfig({ argv: [], env: resolvedEnv(sidecar, { name: 'o', namespace: 'shop', node: 'n', uid: 'u' }) })
  t.equal(config.listen.port, 15006)
  t.equal(config.upstream, 'http://127.0.0.1:8080', 'the app keeps its port')
  t.same(podSpec(deployment).containers[0].env, undefined, 'and its environment')
  t.match(stderr, /service\/orders -n shop: targetPort now the sidecar's port/)

  const alone = await inject(['--capture', 'service-target-port', '-f', fixturePath('deployment-basic.yaml')])
  t.match(alone.stderr, /service\/web -n shop: targetPort now/, 'a named targetPort (http) is matched to the app port by name')
  t.equal(alone.objects[2].spec.ports[0].targetPort, 15006)
})

t.test('iptables: an init container redirects the app port to the sidecar, sparing the sidecar user', async (t) => {
  const { objects } = await inject(['-f', fixturePath('iptables.yaml'), '--proxy-uid', '2102'])
  for (const object of objects) {
    const spec = podSpec(object)
    t.same(
      spec.initContainers.map((c: Obj) => c.name),
      ['tracecar-init', 'tracecar-proxy'],
      'rules are in place before the sidecar starts',
    )
    const init = spec.initContainers[0]
    t.same(unknownContainerFields(init), [])
    t.same(init.securityContext.capabilities, { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] })
    const script: string = init.command[2]
    t.match(script, /-A TRACECAR_INBOUND -p tcp --dport 8081 -j REDIRECT --to-ports 15006/, 'the plain-HTTP port, not https')
    t.match(script, /-A TRACECAR_LOCAL -m owner --uid-owner 2102 -j RETURN/)
    t.ok(
      script.indexOf('--uid-owner 2102 -j RETURN') < script.indexOf('-o lo -p tcp --dport 8081'),
      'the sidecar user is let through before the local redirect',
    )
    t.equal(spec.initContainers[1].securityContext.runAsUser, 2102, 'the sidecar runs as that user')
    const config = loadProxyConfig({ argv: [], env: resolvedEnv(spec.initContainers[1], { name: 'b', namespace: 'billing', node: 'n', uid: 'u' }) })
    t.equal(config.upstream, 'http://127.0.0.1:8081')
    t.equal(config.listen.port, 15006)
  }
})

t.test('--legacy-sidecar: a regular container, and Jobs are left alone', async (t) => {
  const { objects, stderr } = await inject(['--legacy-sidecar', '-f', fixturePath('list-of-workloads.yaml')])
  const [daemonSet, job, cronJob, pod] = objects[0].items as Obj[]
  for (const object of [daemonSet, pod]) {
    const sidecar = named(podSpec(object).containers, 'tracecar-proxy')!
    t.ok(sidecar, `${object.kind}: the sidecar is a container`)
    t.equal(sidecar.restartPolicy, undefined, 'with no restartPolicy')
    t.equal(podSpec(object).initContainers, undefined)
  }
  for (const object of [job, cronJob]) {
    t.same(
      podSpec(object).containers.map((c: Obj) => c.name),
      [object.metadata.name],
      `${object.kind} not injected: it would never complete`,
    )
  }
  t.match(stderr, /job\/report -n ops: skipped: a legacy sidecar never exits/)
})

t.test('--outbound points the app at the sidecar outbound proxy; uninject takes it back', async (t) => {
  const input = await import('node:fs').then((fs) => fs.readFileSync(fixturePath('statefulset-multi-container.yaml'), 'utf8'))
  const { objects, stdout, stderr } = await inject(['--outbound', '-f', fixturePath('statefulset-multi-container.yaml')])
  const ledger = named(podSpec(objects[0]).containers, 'ledger')!
  const env = Object.fromEntries(ledger.env.map((e: Obj) => [e.name, e.value]))
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) t.equal(env[name], 'http://127.0.0.1:15001', name)
  t.equal(env.PORT, '15080', 'the port is still moved')
  t.equal(named(podSpec(objects[0]).containers, 'log-shipper')!.env, undefined, 'other containers are left alone')
  t.match(stderr, /outbound calls through the sidecar/)
  const back = await runTracecar(['uninject', '-f', '-'], stdout)
  t.equal(back.stdout, input, 'uninject restores the environment exactly')

  const optedOut = await runTracecar(
    ['inject', '--outbound', '-f', '-'],
    input.replace('tracecar.io/sampling: "0.25"', 'tracecar.io/sampling: "0.25"\n    tracecar.io/outbound: disabled'),
  )
  t.notMatch(optedOut.stdout, /HTTP_PROXY/, 'tracecar.io/outbound: disabled beats --outbound')

  const clash = await runTracecar(
    ['inject', '--outbound', '-f', '-'],
    input.replace('        - name: DATABASE_URL', '        - name: HTTPS_PROXY\n          value: http://corporate-proxy:3128\n        - name: DATABASE_URL'),
  )
  t.equal(clash.code, 2)
  t.match(
    clash.stderr,
    /statefulset\/ledger -n payments: container ledger already sets HTTPS_PROXY = "http:\/\/corporate-proxy:3128".*tracecar\.io\/outbound: disabled/,
  )
  t.equal(clash.stdout, '')
})

t.test('--join-by-worker-process shares the pod PID namespace and turns the rule on; uninject takes it back', async (t) => {
  const input = await import('node:fs').then((fs) => fs.readFileSync(fixturePath('statefulset-multi-container.yaml'), 'utf8'))
  const { objects, stdout, stderr, code } = await inject(['--outbound', '--join-by-worker-process', '-f', fixturePath('statefulset-multi-container.yaml')])
  t.equal(code, 0)
  t.equal(podSpec(objects[0]).shareProcessNamespace, true, 'the sidecar can see the app processes')
  const sidecar = [...(podSpec(objects[0]).initContainers ?? []), ...podSpec(objects[0]).containers].find((c: Obj) => c.name === 'tracecar-proxy')
  const join = sidecar.env.find((e: Obj) => e.name === 'TRACECAR_OUTBOUND_JOIN')?.value
  t.equal(join, 'context,correlation,worker-process')
  const config = loadProxyConfig({ argv: [], env: { TRACECAR_UPSTREAM: 'http://127.0.0.1:1', TRACECAR_OUTBOUND_JOIN: join } })
  t.same(config.outbound.join, ['context', 'correlation', 'worker-process'], 'a value the proxy accepts')
  t.match(stderr, /joined by worker process \(shareProcessNamespace: true; the sidecar must run as the app's user/)
  const back = await runTracecar(['uninject', '-f', '-'], stdout)
  t.equal(back.stdout, input, 'uninject restores the pod exactly')

  const alone = await runTracecar(['inject', '--join-by-worker-process', '-f', '-'], input)
  t.equal(alone.code, 2)
  t.match(alone.stderr, /join-by-worker-process.*needs --outbound/)
  const refused = await runTracecar(
    ['inject', '--outbound', '--join-by-worker-process', '-f', '-'],
    input.replace(/^(\s+)containers:/m, '$1shareProcessNamespace: false\n$1containers:'),
  )
  t.equal(refused.code, 2)
  t.match(refused.stderr, /shareProcessNamespace is false/)
})

t.test('input it cannot use: a clear error, exit 2, nothing on stdout', async (t) => {
  const badAnnotation = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, annotations: {tracecar.io/sampling: "lots"}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api, ports: [{containerPort: 80}]}]
`
  let result = await runTracecar(['inject'], badAnnotation)
  t.equal(result.code, 2)
  t.equal(result.stdout, '')
  t.match(result.stderr, /deployment\/api: tracecar\.io\/sampling = "lots": expected a ratio between 0 and 1/)

  result = await runTracecar(['inject'], badAnnotation.replace('{tracecar.io/sampling: "lots"}', '{}').replace(', ports: [{containerPort: 80}]', ''))
  t.equal(result.code, 2)
  t.match(result.stderr, /deployment\/api: no container declares a TCP containerPort.*tracecar\.io\/app-port/)

  result = await runTracecar(['inject'], 'kind: Deployment\nmetadata: {name: x\n')
  t.equal(result.code, 2)
  t.match(result.stderr, /stdin: not valid YAML/)

  result = await runTracecar(['inject', '--capture', 'ebpf'], badAnnotation)
  t.equal(result.code, 2)
  t.match(result.stderr, /capture = "ebpf" \(from flag --capture\): expected one of move-app-port, service-target-port, iptables/)

  result = await runTracecar(['inject', '-f', fixturePath('no-such-file.yaml')])
  t.equal(result.code, 2)
  t.match(result.stderr, /cannot read .*no-such-file\.yaml: no such file or directory/)
})
