import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { fixturePath, runTracecar } from './run-tracecar.js'

// A user who injects with the defaults gets pods whose sidecar image no registry serves
// and whose app must listen on $PORT. Both must be said where they look: the help, the
// inject summary, docs/kubernetes.md; and the default tag must be the one the
// repository's Dockerfile and manifests tell them to build and run.
const root = fileURLToPath(new URL('../../', import.meta.url))
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8')
const version = (JSON.parse(read('package.json')) as { version: string }).version
const image = `tracecar:${version}`

t.test("the default image is the one the Dockerfile's build command tags, and the docs say how to get it", async (t) => {
  t.match(read('Dockerfile'), new RegExp(`^#\\s+docker build -t ${image} \\.(\\s|$)`, 'm'), 'the Dockerfile says to build this tag')
  const docs = read('docs/kubernetes.md')
  t.match(docs, `docker build -t ${image} .`)
  t.match(docs, /No registry serves this image/)
  t.match(docs, `--image registry.example.com/${image}`)
  for (const manifest of ['config/k8s/10-collector.yaml', 'config/k8s/20-webhook.yaml']) {
    const images = [...read(manifest).matchAll(/image[:=] ?(tracecar:\S+)/g)].map((m) => m[1])
    t.ok(images.length > 0 && images.every((i) => i === image), `${manifest} runs ${image} (${images.join(', ')})`)
  }

  const help = await runTracecar(['inject', '--help'])
  t.match(help.stdout, `sidecar image (default ${image}`)
  t.match(help.stdout, `docker build -t ${image} .`, 'the help says how to build it')
  t.match(help.stdout, `kind load docker-image ${image}`, 'and how to get it into a cluster')
  t.match(help.stdout, /push it to your registry and pass --image/)
})

t.test('the default capture mode says the app must listen on $PORT', async (t) => {
  const help = await runTracecar(['inject', '--help'])
  t.match(help.stdout, /default move-app-port: [^]*the app MUST listen on \$PORT/)
  t.match(help.stdout, /for an app with a\s+fixed port use service-target-port or iptables/)
  t.match(read('docs/kubernetes.md'), /\*\*an app that listens on the port in `\$PORT`\*\*/)
})

t.test('injecting with the defaults says what the image and the app need; -q and --image quiet the image line', async (t) => {
  const injected = await runTracecar(['inject', '-f', fixturePath('deployment-basic.yaml')])
  t.equal(injected.code, 0, injected.stderr)
  t.match(injected.stderr, /deployment\/web -n shop: injected \(native sidecar, move-app-port: sidecar on 8080, app moved to 15080: it must listen on \$PORT\)/)
  t.match(injected.stderr, `sidecar image ${image} (the default): build it from the tracecar repository (docker build -t ${image} .)`)

  const ownImage = await runTracecar(['inject', '--image', 'registry.example.com/tracecar:1', '-f', fixturePath('deployment-basic.yaml')])
  t.equal(ownImage.code, 0)
  t.notMatch(ownImage.stderr, /sidecar image/, 'no image advice when the user named one')
  t.match(ownImage.stdout, 'image: registry.example.com/tracecar:1')

  const otherVariable = await runTracecar(['inject', '--app-port-env', 'HTTP_PORT', '--image', 'x', '-f', fixturePath('deployment-basic.yaml')])
  t.match(otherVariable.stderr, /app moved to 15080: it must listen on \$HTTP_PORT\)/)
})
