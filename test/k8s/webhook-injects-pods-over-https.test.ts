/**
 * `tracecar webhook` as a real process over real TLS: an AdmissionReview for a pod gets a
 * JSONPatch that, applied by an independent RFC 6902 implementation (fast-json-patch),
 * gives the pod `tracecar inject` writes; malformed reviews get a well-formed answer that
 * allows the pod; rotated certificate files are served without a restart.
 */
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import jsonpatch from 'fast-json-patch'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { spawnTracecar } from '../helpers/proxy-process.js'
import { hasOpenssl, makeSelfSignedCert } from '../helpers/self-signed-cert.js'
import { fixturePath, runTracecar } from './run-tracecar.js'

type Obj = Record<string, any>

async function eventually(condition: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 100))
  return condition()
}

if (!hasOpenssl()) {
  t.test(
    'the webhook over HTTPS',
    { skip: 'openssl is not installed (Debian package openssl, installed by .ci/run): cannot make the test certificates' },
    () => {},
  )
} else {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-webhook-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))

  /** A self-signed certificate for 127.0.0.1, written as the Secret volume would: a new file renamed over the old. */
  const makeCert = (commonName: string): void => {
    makeSelfSignedCert({
      keyPath: join(dir, 'new.key'),
      certPath: join(dir, 'new.crt'),
      commonName,
      subjectAltName: 'IP:127.0.0.1,DNS:tracecar-webhook.tracecar.svc',
      rsa: true,
    })
    renameSync(join(dir, 'new.key'), join(dir, 'tls.key'))
    renameSync(join(dir, 'new.crt'), join(dir, 'tls.crt'))
  }
  makeCert('first')

  const child = spawnTracecar([
    'webhook',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--tls-cert-file',
    join(dir, 'tls.crt'),
    '--tls-key-file',
    join(dir, 'tls.key'),
    '--image',
    'tracecar:test',
  ])
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.includes('"listening"'))
      if (line) resolve((JSON.parse(line) as { port: number }).port)
    })
    void exited.then((code) => reject(new Error(`tracecar webhook exited with ${code}: ${stderr}`)))
  })

  const post = (body: string, path = '/mutate'): Promise<{ status: number; json: Obj }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path, method: 'POST', ca: readFileSync(join(dir, 'tls.crt')), headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Obj }))
        },
      )
      req.on('error', reject)
      req.end(body)
    })

  const review = (object: Obj, extra: Obj = {}): string =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        namespace: 'shop',
        operation: 'CREATE',
        userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
        object,
        dryRun: false,
        ...extra,
      },
    })

  // The pod the ReplicaSet controller creates from deployment-basic.yaml's template.
  const deployment = parseAllDocuments(readFileSync(fixturePath('deployment-basic.yaml'), 'utf8'))[0].toJS() as Obj
  const pod: Obj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-5d9c7b8f6-',
      namespace: 'shop',
      labels: { ...deployment.spec.template.metadata.labels, 'pod-template-hash': '5d9c7b8f6' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c7b8f6', uid: 'e1', controller: true }],
    },
    spec: { ...deployment.spec.template.spec, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' },
  }

  t.test('a pod created in a selected namespace gets a JSONPatch giving the pod tracecar inject writes', async (t) => {
    const { status, json } = await post(review(pod))
    t.equal(status, 200)
    t.equal(json.apiVersion, 'admission.k8s.io/v1')
    t.equal(json.kind, 'AdmissionReview')
    t.equal(json.response.uid, '705ab4f5-6393-11e8-b7cc-42010a800002', 'the uid of the request')
    t.equal(json.response.allowed, true)
    t.equal(json.response.patchType, 'JSONPatch')
    const ops = JSON.parse(Buffer.from(json.response.patch as string, 'base64').toString('utf8')) as jsonpatch.Operation[]
    t.equal(jsonpatch.validate(ops, structuredClone(pod)), undefined, 'a valid RFC 6902 patch for this pod')
    const patched = jsonpatch.applyPatch(structuredClone(pod), ops, true, false).newDocument as Obj

    const injected = await runTracecar(['inject', '--image', 'tracecar:test', '-f', fixturePath('deployment-basic.yaml')])
    const template = (parseAllDocuments(injected.stdout)[0].toJS() as Obj).spec.template
    t.same(patched.spec, { ...template.spec, restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' }, 'the same containers, init containers and env as inject')
    t.same(patched.metadata.annotations, template.metadata.annotations, 'and the same status annotation')
    t.same(patched.metadata.labels, pod.metadata.labels, 'labels untouched')
    const sidecar = patched.spec.initContainers.find((c: Obj) => c.name === 'tracecar-proxy')
    t.same(
      sidecar.env.find((e: Obj) => e.name === 'OTEL_SERVICE_NAME'),
      { name: 'OTEL_SERVICE_NAME', value: 'web' },
      'service named after the Deployment, not the pod hash',
    )
    t.match(stderr, /pod\/web-5d9c7b8f6-\* -n shop: injected/)

    const again = await post(review(patched))
    t.equal(again.json.response.allowed, true)
    t.notOk(again.json.response.patch, 'an injected pod is not patched again')
  })

  t.test('pods of other controllers are named after their workload, as inject names it', async (t) => {
    const bare = (metadata: Obj): Obj => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: { containers: [{ name: 'c', image: 'c', ports: [{ containerPort: 8080 }] }] },
    })
    const owned = (kind: string, name: string): Obj[] => [{ apiVersion: 'apps/v1', kind, name, uid: 'u', controller: true }]
    const cases: Array<[string, Obj, string]> = [
      ['StatefulSet', bare({ name: 'ledger-0', ownerReferences: owned('StatefulSet', 'ledger') }), 'ledger'],
      ['DaemonSet', bare({ generateName: 'node-agent-', ownerReferences: owned('DaemonSet', 'node-agent') }), 'node-agent'],
      ['CronJob', bare({ generateName: 'nightly-28930210-', ownerReferences: owned('Job', 'nightly-28930210') }), 'nightly'],
      ['Job', bare({ generateName: 'report-', ownerReferences: owned('Job', 'report') }), 'report'],
      ['no controller', bare({ generateName: 'scratch-' }), 'scratch'],
    ]
    for (const [what, object, service] of cases) {
      const { json } = await post(review(object))
      const ops = JSON.parse(Buffer.from(json.response.patch as string, 'base64').toString('utf8')) as jsonpatch.Operation[]
      const patched = jsonpatch.applyPatch(structuredClone(object), ops, true, false).newDocument as Obj
      const sidecar = patched.spec.initContainers.find((c: Obj) => c.name === 'tracecar-proxy')
      t.equal(sidecar.env.find((e: Obj) => e.name === 'OTEL_SERVICE_NAME').value, service, `${what}: ${service}`)
    }
  })

  t.test('what it cannot or need not handle is allowed unchanged, with a well-formed answer', async (t) => {
    const cases: Array<[string, string, string]> = [
      ['not JSON', '{"apiVersion": "admission.k8s.io/v1", "kind": "Admiss', ''],
      ['empty body', '', ''],
      ['JSON but no request', '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}', ''],
      ['a request with no object', review(pod, { object: null }), '705ab4f5-6393-11e8-b7cc-42010a800002'],
      ['an UPDATE', review(pod, { operation: 'UPDATE' }), '705ab4f5-6393-11e8-b7cc-42010a800002'],
      ['a Deployment', review(deployment, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }), '705ab4f5-6393-11e8-b7cc-42010a800002'],
      [
        'a bad annotation',
        review({ ...pod, metadata: { ...pod.metadata, annotations: { 'tracecar.io/sampling': '7' } } }),
        '705ab4f5-6393-11e8-b7cc-42010a800002',
      ],
      ['no ports at all', review({ ...pod, spec: { containers: [{ name: 'x', image: 'x' }] } }), '705ab4f5-6393-11e8-b7cc-42010a800002'],
      [
        'an opted-out pod',
        review({ ...pod, metadata: { ...pod.metadata, annotations: { 'tracecar.io/inject': 'disabled' } } }),
        '705ab4f5-6393-11e8-b7cc-42010a800002',
      ],
      ['a pod with a spec that is a string', review({ ...pod, spec: 'oops' }), '705ab4f5-6393-11e8-b7cc-42010a800002'],
    ]
    for (const [what, body, uid] of cases) {
      const { status, json } = await post(body)
      t.equal(status, 200, `${what}: 200`)
      t.same(
        { apiVersion: json.apiVersion, kind: json.kind, uid: json.response?.uid, allowed: json.response?.allowed },
        { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', uid, allowed: true },
        `${what}: allowed`,
      )
      t.notOk(json.response.patch, `${what}: no patch`)
    }
    const { json } = await post(review({ ...pod, metadata: { ...pod.metadata, annotations: { 'tracecar.io/sampling': '7' } } }))
    t.match(json.response.warnings, [/tracecar\.io\/sampling = "7": expected a ratio between 0 and 1/], 'the reason reaches kubectl as a warning')
    const health = await new Promise<number>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, path: '/healthz', ca: readFileSync(join(dir, 'tls.crt')) }, (res) => resolve(res.statusCode!)).on('error', reject)
    })
    t.equal(health, 200, 'still serving after all that')
    t.equal(child.exitCode, null, 'the process did not crash')
  })

  t.test('rotated certificate files are served without a restart', async (t) => {
    const served = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          const cert = socket.getPeerX509Certificate()
          socket.end()
          resolve(cert?.subject ?? '')
        })
        socket.on('error', reject)
      })
    t.equal(await served(), 'CN=first')
    makeCert('second')
    const expected = new X509Certificate(readFileSync(join(dir, 'tls.crt'))).subject
    t.equal(expected, 'CN=second')
    let subject = ''
    for (let i = 0; i < 100 && subject !== expected; i++) {
      await new Promise((r) => setTimeout(r, 100))
      subject = await served()
    }
    t.equal(subject, 'CN=second', 'the new certificate is served')
    // The log line travels through a pipe: it may arrive after the handshake did.
    t.ok(await eventually(() => /certificate reloaded/.test(stderr)), 'and the reload is logged')

    writeFileSync(join(dir, 'tls.key'), 'not a key')
    t.ok(await eventually(() => /certificate reload failed, keeping the current one/.test(stderr)), 'a broken key file is reported')
    t.equal(await served(), 'CN=second', 'and the last good pair kept')
  })

  t.test('SIGTERM stops it cleanly', async (t) => {
    child.kill('SIGTERM')
    t.equal(await exited, 0)
  })
}

t.test('certificate files it cannot read: one clear line, exit 2', async (t) => {
  const child = spawnTracecar([
    'webhook',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--tls-cert-file',
    '/nonexistent/tls.crt',
    '--tls-key-file',
    '/nonexistent/tls.key',
  ])
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.equal(code, 2)
  t.match(stderr, /tracecar webhook: cannot start: .*\/nonexistent\/tls\.crt/)
})
