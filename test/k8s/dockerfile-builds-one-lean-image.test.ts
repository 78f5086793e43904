/**
 * The Dockerfile as written (test/image builds and runs it with podman): dockerfilelint
 * finds nothing; it is multi-stage on a slim Node LTS base that a build argument can
 * replace; the runtime stage runs as a non-root user with a HEALTHCHECK and the tracecar
 * entrypoint; everything it COPYs exists and is not excluded by .dockerignore; and the
 * HEALTHCHECK script really tells a healthy sidecar from a dead one.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { startProxyProcess } from '../helpers/proxy-process.js'
import { startHttpServer } from '../helpers/servers.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8')
/** Instructions with continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))

t.test('dockerfilelint finds nothing', async (t) => {
  const bin = `${root}node_modules/.bin/dockerfilelint`
  const { stdout } = await run(bin, ['-j', 'Dockerfile'], { cwd: root }).catch((e: { stdout: string }) => e)
  const report = JSON.parse(stdout) as { files: Array<{ issues_count: number; issues: unknown[] }> }
  t.equal(report.files[0].issues_count, 0, JSON.stringify(report.files[0].issues))
})

t.test('multi-stage, slim LTS base, non-root runtime with a healthcheck and the tracecar entrypoint', async (t) => {
  const froms = instructions.filter((l) => l.startsWith('FROM '))
  t.equal(froms.length, 2, 'a build stage and a runtime stage')
  t.match(dockerfile, /ARG NODE_VERSION=(22|24)\b/, 'a current Node LTS')
  t.match(dockerfile, /^ARG BASE_IMAGE=node$/m, "Node's image by default")
  t.match(dockerfile, /^ARG BASE_TAG=\$\{NODE_VERSION\}-bookworm-slim$/m, 'its slim Debian variant')
  for (const from of froms) t.match(from, /^FROM \$\{BASE_IMAGE\}:\$\{BASE_TAG\}( AS build)?$/, 'both stages on the one base')
  const runtime = instructions.slice(instructions.indexOf(froms[1]))
  const build = instructions.slice(0, instructions.indexOf(froms[1]))
  t.ok(build.some((l) => /npm ci --no-audit/.test(l)) && build.some((l) => /npm run build/.test(l)), 'built with the dev dependencies')
  t.ok(
    build.some((l) => /npm prune --omit=dev/.test(l)),
    'dev dependencies pruned before the runtime stage copies node_modules',
  )
  t.notOk(
    runtime.some((l) => /npm (ci|install)(?!.*--omit=dev)/.test(l)),
    'no dev install in the runtime stage',
  )
  const user = runtime.find((l) => l.startsWith('USER '))
  t.ok(user && !/^USER (root|0)(:|$)/.test(user), `runs as a non-root user (${user})`)
  t.ok(runtime.indexOf(user!) > runtime.findLastIndex((l) => l.startsWith('RUN ')), 'USER after the last RUN, so nothing runs as root at start')
  t.ok(
    runtime.some((l) => /^HEALTHCHECK .*CMD \["node", "dist\/k8s\/healthcheck\.js"\]/.test(l)),
    'HEALTHCHECK with node (no curl in slim)',
  )
  t.ok(runtime.includes('ENTRYPOINT ["node", "bin/tracecar.js"]'))
  t.ok(runtime.some((l) => /COPY --from=build \/app\/dist/.test(l)) && !runtime.some((l) => /COPY (src|test|\.)\b/.test(l)), 'ships compiled code, not sources')
})

t.test('everything COPYed from the context exists and is not excluded by .dockerignore', async (t) => {
  const ignored = readFileSync(`${root}.dockerignore`, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
  const sources = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1))
  t.ok(sources.length >= 5)
  for (const source of sources) {
    t.ok(existsSync(`${root}${source}`), `${source} exists`)
    t.notOk(
      ignored.some((pattern) => pattern === source || source.startsWith(`${pattern}/`)),
      `${source} is sent to the build`,
    )
  }
  for (const heavy of ['node_modules', 'dist', '.git', 'data']) t.ok(ignored.includes(heavy), `${heavy} is not sent to the build`)
})

t.test('the HEALTHCHECK script passes a live sidecar and fails a dead one', async (t) => {
  const app = await startHttpServer((_req, res) => res.end('ok'))
  t.teardown(() => app.close())
  const proxy = await startProxyProcess(['--upstream', app.url, '--exporter', 'none'])
  t.teardown(() => proxy.stop())
  const check = (url: string) =>
    run(process.execPath, ['--import', 'tsx', 'src/k8s/healthcheck.ts'], { cwd: root, env: { PATH: process.env.PATH, TRACECAR_HEALTHCHECK_URL: url } }).then(
      () => 0,
      (e: { code: number }) => e.code,
    )
  t.equal(await check(`${proxy.adminUrl}/healthz`), 0, 'healthy sidecar: exit 0')
  t.equal(await check(`${proxy.adminUrl}/no-such-page`), 1, 'a 404: exit 1')
  await proxy.stop()
  t.equal(await check(`${proxy.adminUrl}/healthz`), 1, 'nothing listening: exit 1')
})
