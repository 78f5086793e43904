/**
 * The Dockerfile, built and run for real with podman (no daemon). No registry serves Node's
 * image here, so the base is made locally (BASE_IMAGE/BASE_TAG build arguments): a minimal
 * Debian root filesystem from the configured archive plus this machine's node, npm and node
 * headers (test/helpers/podman.ts). It stays in podman's store, named after the Debian
 * release and the Node version, so later runs skip debootstrap. The build itself fetches what it
 * fetches anywhere: compilers and iptables from the Debian archive, packages from the npm
 * registry (better-sqlite3 is compiled when its prebuilt binary cannot be downloaded).
 *
 * Then the image runs on the host network as the collector and as the sidecar exporting to
 * it: the sidecar answers a proxied request with trace context, the collector stores the
 * span and lists its service; the image's HEALTHCHECK passes against the sidecar (kept by
 * building in Docker's format: OCI images have no HEALTHCHECK); both run as uid 1000, and
 * both exit 0 on `podman stop` (SIGTERM) well before podman
 * would resort to SIGKILL. From scratch this takes about a quarter of an hour on two cores
 * (debootstrap, compilers, npm ci, better-sqlite3 compiled); later runs reuse the base and
 * podman's layer cache and take three to five minutes.
 *
 * Needs root (debootstrap, rootful podman), podman and debootstrap (Debian packages,
 * installed by .ci/run); without them, or when podman cannot start a container here, it
 * says it is skipped and why (podman's own error).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort, startHttpServer } from '../helpers/servers.js'
import { buildNodeBase, debianCodename, debianMirror, onPath, runCommand, tail, ulimitFlags } from '../helpers/podman.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
// debootstrap (~4 min) and a build from scratch (compilers, npm ci, a native module, tsc
// and the UI bundle) take far longer than a test's usual limit.
t.setTimeout(30 * 60_000)

const codename = debianCodename() ?? 'bookworm'
const baseImage = 'localhost/tracecar-test-base'
const baseTag = `${codename}-node-${process.version}`
const image = `localhost/tracecar-test-image:${process.pid}`
/** SIGKILL comes after this; a clean stop is well within it. */
const stopTimeoutSeconds = 20

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (debootstrap and rootful podman need it)'
  for (const program of ['podman', 'debootstrap']) if (!onPath(program)) return `${program} is not installed (Debian package ${program})`
  return undefined
}

/**
 * Podman's global flags that start a container here, or what podman said for each attempt.
 * crun (podman's default) refuses hybrid cgroup v1/v2 hosts; runc copes with them.
 */
async function workingRuntime(): Promise<{ flags: string[] } | { error: string }> {
  const attempts = [[], ...(onPath('runc') ? [['--runtime', 'runc']] : [])]
  const errors: string[] = []
  for (const flags of attempts) {
    const result = await runCommand('podman', [...flags, 'run', '--rm', '--network', 'none', ...ulimitFlags(), `${baseImage}:${baseTag}`, 'true'])
    if (result.code === 0) return { flags }
    errors.push(`podman ${[...flags, 'run', '--rm', '--network', 'none', ...ulimitFlags()].join(' ')} <base> true: ${result.output.trim()}`)
  }
  return { error: errors.join('\n') }
}

interface Container {
  name: string
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

/** `podman run` attached (its exit code is the container's), on the host network. */
function runContainer(podman: string[], name: string, args: string[], extra: string[] = []): Container {
  const child = spawn('podman', [...podman, 'run', '--rm', '--name', name, '--network', 'host', ...ulimitFlags(), ...extra, image, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { name, child, stdout: () => out, stderr: () => err, exited }
}

/** Resolves with the first match of `pattern` in what the container printed; rejects if it exits first. */
function waitFor(container: Container, stream: 'stdout' | 'stderr', pattern: RegExp, ms = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${container.name}: no ${pattern} in ${ms} ms:\n${container.stdout()}${container.stderr()}`)), ms)
    const check = () => {
      const m = pattern.exec(container[stream]())
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
    }
    container.child[stream]!.on('data', check)
    check()
    void container.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${container.name} exited with ${code}:\n${container.stdout()}${container.stderr()}`))
    })
  })
}

/** The container's main process as the host sees it: its uids. */
async function mainProcess(podman: string[], name: string): Promise<{ uids: number[] }> {
  const pid = (await runCommand('podman', [...podman, 'inspect', '--format', '{{.State.Pid}}', name])).output.trim()
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const uids = /^Uid:\s+(.+)$/m.exec(status)![1]!.split(/\s+/).map(Number)
  return { uids }
}

/** `podman stop` (SIGTERM, SIGKILL after the timeout): how long it took and the container's exit code. */
async function stop(podman: string[], container: Container): Promise<{ seconds: number; code: number | null }> {
  const started = Date.now()
  await runCommand('podman', [...podman, 'stop', '--time', String(stopTimeoutSeconds), container.name])
  const code = await container.exited
  return { seconds: (Date.now() - started) / 1000, code }
}

/** Why the image is not built here, or podman's global flags that start a container here. */
async function prepare(): Promise<{ skip: string } | { flags: string[] }> {
  const why = missing()
  if (why !== undefined) return { skip: `image not built: ${why}` }
  if ((await runCommand('podman', ['image', 'exists', `${baseImage}:${baseTag}`])).code !== 0) {
    const base = await buildNodeBase(`${baseImage}:${baseTag}`, codename, debianMirror(codename))
    if (base.code !== 0) throw new Error(`building the local Node base failed:\n${tail(base.output)}`)
  }
  const runtime = await workingRuntime()
  return 'error' in runtime ? { skip: `podman cannot run a container on this machine:\n${runtime.error}` } : runtime
}

const prepared = await prepare()
if ('skip' in prepared) {
  t.test('the image built and run with podman', { skip: prepared.skip }, () => {})
} else {
  const flags = prepared.flags
  t.test('the image built and run with podman', async (t) => {
    const build = await runCommand(
      'podman',
      [
        ...flags,
        'build',
        '--format',
        'docker',
        '--network',
        'host',
        ...ulimitFlags(),
        '--build-arg',
        `BASE_IMAGE=${baseImage}`,
        '--build-arg',
        `BASE_TAG=${baseTag}`,
        '-t',
        image,
        '.',
      ],
      { cwd: root },
    )
    t.teardown(() => runCommand('podman', [...flags, 'rmi', '--force', image]).then(() => undefined))
    if (build.code !== 0) {
      t.fail(`podman build failed:\n${tail(build.output)}`)
      return
    }

    const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-image-data-'))
    chownSync(dataDir, 1000, 1000)
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    const collector = runContainer(
      flags,
      `tracecar-test-collector-${process.pid}`,
      ['collector', '--host', '127.0.0.1', '--data-dir', '/data', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--http-port', '0'],
      ['--volume', `${dataDir}:/data`],
    )
    t.teardown(() => runCommand('podman', [...flags, 'rm', '--force', collector.name]).then(() => undefined))
    const listening = JSON.parse((await waitFor(collector, 'stdout', /^\{"event":"listening".*\}$/m))[0]) as { otlpHttpPort: number; httpPort: number }
    const api = `http://127.0.0.1:${listening.httpPort}`

    const seen: Array<string | undefined> = []
    const app = await startHttpServer((req, res) => {
      seen.push(req.headers.traceparent as string | undefined)
      res.end('ok')
    })
    t.teardown(() => app.close())
    // A known admin port, so the image's HEALTHCHECK can be pointed at it.
    const adminPort = await freePort()
    const proxy = runContainer(
      flags,
      `tracecar-test-proxy-${process.pid}`,
      [
        'proxy',
        '--upstream',
        app.url,
        '--service',
        'image-test-app',
        '--listen-host',
        '127.0.0.1',
        '--listen-port',
        '0',
        '--admin-port',
        String(adminPort),
        '--outbound-port',
        '0',
        '--otlp-endpoint',
        `http://127.0.0.1:${listening.otlpHttpPort}/v1/traces`,
      ],
      ['--env', `TRACECAR_HEALTHCHECK_URL=http://127.0.0.1:${adminPort}/healthz`],
    )
    t.teardown(() => runCommand('podman', [...flags, 'rm', '--force', proxy.name]).then(() => undefined))
    const ports = await waitFor(proxy, 'stderr', /listening on [^:]+:(\d+) .*admin on [^:]+:(\d+)/)

    const response = await fetch(`http://127.0.0.1:${ports[1]}/hello`)
    t.equal(response.status, 200, 'the sidecar in the image proxies a request')
    t.equal(await response.text(), 'ok')
    // Flags 01 or 03: sampled, and the random trace id flag of trace context level 2.
    t.match(seen[0], /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/, 'the app got a sampled traceparent from the sidecar')
    t.match(response.headers.get('traceresponse'), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[13]$/, 'the caller got the trace context back')
    t.equal((await fetch(`http://127.0.0.1:${ports[2]}/healthz`)).status, 200, 'the sidecar admin /healthz answers')
    const health = await runCommand('podman', [...flags, 'healthcheck', 'run', proxy.name])
    t.equal(health.code, 0, `the image's HEALTHCHECK passes (podman healthcheck run): ${health.output.trim()}`)

    for (const container of [proxy, collector]) {
      const main = await mainProcess(flags, container.name)
      t.same(main.uids, [1000, 1000, 1000, 1000], `${container.name} runs as uid 1000 (node), not root`)
    }

    const proxyStop = await stop(flags, proxy)
    t.equal(proxyStop.code, 0, `the sidecar exits 0 on SIGTERM:\n${tail(proxy.stderr(), 10)}`)
    t.ok(proxyStop.seconds < stopTimeoutSeconds / 2, `and stops in ${proxyStop.seconds.toFixed(1)} s, long before SIGKILL`)

    // The sidecar flushes its spans on SIGTERM: the collector has the request's trace.
    const traceId = seen[0]!.split('-')[1]
    const services = (await (await fetch(`${api}/api/services`)).json()) as { services: string[] }
    t.ok(services.services.includes('image-test-app'), `the collector lists the sidecar's service (${services.services.join(', ')})`)
    t.equal((await fetch(`${api}/api/traces/${traceId}`)).status, 200, 'and serves the proxied trace')
    t.ok(existsSync(join(dataDir, 'tracecar.db')), 'stored in the mounted data directory')

    const collectorStop = await stop(flags, collector)
    t.equal(collectorStop.code, 0, `the collector exits 0 on SIGTERM:\n${tail(collector.stderr(), 10)}`)
    t.ok(collectorStop.seconds < stopTimeoutSeconds / 2, `and stops in ${collectorStop.seconds.toFixed(1)} s, long before SIGKILL`)
  })
}
