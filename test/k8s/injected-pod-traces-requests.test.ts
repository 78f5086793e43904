/**
 * The injected pod, played out on this machine: the app is started on the port its
 * injected PORT variable names, the sidecar is a real `tracecar proxy` process given the
 * injected container's environment (downward-API fields resolved as the kubelet would;
 * only the admin port moved to a free one), and a request to the app's original port is
 * answered by the app through the sidecar and arrives at the collector as a span carrying
 * the pod's k8s.* attributes; the app's own call to another service, made through the
 * HTTP_PROXY injection gave it (--outbound) with the request id copied on, is a CLIENT
 * span of the same trace (the sidecar's correlation join).
 */
import http from 'node:http'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { startOtlpReceiver } from '../export/otlp-receiver.js'
import { spawnTracecar } from '../helpers/proxy-process.js'
import { freePort, startHttpServer } from '../helpers/servers.js'
import { runTracecar } from './run-tracecar.js'

type Obj = Record<string, any>

t.test('a request to the pod port goes through the sidecar to the moved app and becomes a span', async (t) => {
  const downstreamSeen: http.IncomingHttpHeaders[] = []
  const downstream = await startHttpServer((req, res) => {
    downstreamSeen.push(req.headers)
    res.end('in stock')
  })
  t.teardown(() => downstream.close())
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const podPort = await freePort()
  const movedPort = await freePort()
  const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: checkout
  labels: {app: checkout}
spec:
  containers:
    - name: checkout
      image: registry.example.com/checkout:1
      ports:
        - name: http
          containerPort: ${podPort}
`
  const injected = await runTracecar(
    ['inject', '--outbound', '--moved-app-port', String(movedPort), '--collector-endpoint', `http://127.0.0.1:${receiver.port}`],
    manifest,
  )
  t.equal(injected.code, 0, injected.stderr)
  const pod = parseAllDocuments(injected.stdout)[0].toJS() as Obj
  const app = pod.spec.containers.find((c: Obj) => c.name === 'checkout')
  const sidecar = pod.spec.initContainers.find((c: Obj) => c.name === 'tracecar-proxy')

  // The app listens where its injected PORT says.
  const appPort = Number(app.env.find((e: Obj) => e.name === 'PORT').value)
  t.equal(appPort, movedPort)
  const seen: http.IncomingHttpHeaders[] = []
  let httpProxy: URL | undefined // the app's injected HTTP_PROXY; its port is set once the sidecar listens
  const server = await new Promise<http.Server>((resolve) => {
    const s = http.createServer((req, res) => {
      seen.push(req.headers)
      // A legacy app calling another service through its HTTP_PROXY (absolute-form request),
      // copying on only its request id, as many do: no trace context of its own.
      const headers = { host: `127.0.0.1:${downstream.port}`, 'x-request-id': String(req.headers['x-request-id']) }
      const call = http.request({ host: httpProxy!.hostname, port: httpProxy!.port, path: `${downstream.url}/stock`, headers }, (r) => {
        r.resume()
        r.on('end', () => res.end('checked out\n'))
      })
      call.on('error', (e) => res.end(`downstream failed: ${e.message}\n`))
      call.end()
    })
    s.listen(appPort, '127.0.0.1', () => resolve(s))
  })
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))

  const fields: Record<string, string> = { 'metadata.name': 'checkout', 'metadata.namespace': 'shop', 'spec.nodeName': 'node-7', 'metadata.uid': 'a1b2c3' }
  const env: Record<string, string> = {}
  for (const e of sidecar.env as Obj[]) env[e.name] = e.value ?? fields[e.valueFrom.fieldRef.fieldPath]
  // The only changes: 15000 and 15001 may be taken on a shared machine.
  env.TRACECAR_ADMIN_PORT = '0'
  env.TRACECAR_OUTBOUND_PORT = '0'
  const proxy = spawnTracecar(sidecar.args, env)
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => proxy.once('exit', resolve))
  t.teardown(async () => {
    if (proxy.exitCode === null) proxy.kill('SIGKILL')
    await exited
  })
  await new Promise<void>((resolve, reject) => {
    proxy.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
      const outbound = /outbound proxy on [^:]+:(\d+)/.exec(stderr)
      if (/listening on/.test(stderr) && outbound) {
        httpProxy = new URL(app.env.find((e: Obj) => e.name === 'HTTP_PROXY').value)
        t.equal(httpProxy.href, 'http://127.0.0.1:15001/', 'the app was given the sidecar outbound proxy')
        httpProxy.port = outbound[1]
        resolve()
      }
    })
    void exited.then((code) => reject(new Error(`proxy exited ${code}: ${stderr}`)))
  })

  const response = await fetch(`http://127.0.0.1:${podPort}/cart?id=7`)
  t.equal(response.status, 200)
  t.equal(await response.text(), 'checked out\n', 'the app answered through the sidecar')
  const traceresponse = response.headers.get('traceresponse')
  t.match(traceresponse, /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'the caller gets the trace id')
  const traceId = traceresponse!.split('-')[1]
  t.equal(seen[0]['x-trace-id'], traceId, 'the app is told the trace id')
  t.match(downstreamSeen[0]?.traceparent, new RegExp(`^00-${traceId}-`), "the app's own call carries the trace on, though the app knows no traceparent")

  proxy.kill('SIGTERM') // flushes the spans
  t.equal(await exited, 0)
  const spans = await receiver.waitForAcceptedSpans(2)
  const span = spans.find((s) => s.traceId === traceId && s.kind === 2)!
  const client = spans.find((s) => s.traceId === traceId && s.kind === 3)
  t.ok(client, 'a CLIENT span for the outbound call, in the same trace')
  t.equal(client?.parentSpanId, span?.spanId, 'child of the SERVER span')
  t.ok(span, 'the span reached the collector')
  const value = (key: string): unknown => span.resource[key]?.value
  t.equal(value('service.name'), 'checkout')
  t.equal(value('k8s.pod.name'), 'checkout')
  t.equal(value('k8s.namespace.name'), 'shop')
  t.equal(value('k8s.node.name'), 'node-7')
  t.equal(value('k8s.pod.uid'), 'a1b2c3')
  t.equal(value('k8s.container.name'), 'checkout')
})
