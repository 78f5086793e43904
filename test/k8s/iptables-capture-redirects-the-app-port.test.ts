/**
 * The iptables capture init container's script, run for real in a private network
 * namespace (unshare -n, as root, like the init container with NET_ADMIN): a local
 * connection to the app's port lands on the sidecar's 15006, except when the sidecar's
 * own user makes it, which must reach the app; the PREROUTING jump for inbound traffic is
 * in place; running the script twice (a restarted init container) adds nothing twice.
 * Needs root, unshare and iptables (Debian package iptables, installed by .ci/run).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { runTracecar } from './run-tracecar.js'

type Obj = Record<string, any>

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root'
  try {
    execFileSync('unshare', ['-n', 'iptables', '-t', 'nat', '-S'], { stdio: 'ignore' })
  } catch {
    return 'unshare -n or iptables -t nat does not work here (Debian package iptables; kernel nat support)'
  }
  return undefined
}

const why = missing()
if (why !== undefined) {
  t.test('iptables capture in a private network namespace', { skip: `iptables capture not exercised: ${why}` }, () => {})
} else {
  t.test('local traffic to the app port reaches the sidecar; the sidecar user reaches the app', async (t) => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: legacy}
spec:
  containers:
    - name: legacy
      image: legacy
      ports: [{containerPort: 8081, name: http}]
`
    const injected = await runTracecar(['inject', '--capture', 'iptables', '--proxy-uid', '1337'], manifest)
    t.equal(injected.code, 0, injected.stderr)
    const pod = parseAllDocuments(injected.stdout)[0].toJS() as Obj
    const init = pod.spec.initContainers.find((c: Obj) => c.name === 'tracecar-init')
    t.same(init.command.slice(0, 2), ['sh', '-c'])
    const script: string = init.command[2]

    // Inside the namespace: app on 8081, "sidecar" on 15006, each answering with its name;
    // then one connection to 127.0.0.1:8081 as root and one as the sidecar's uid.
    const probe = `
      const net = require('node:net'); const { execFile } = require('node:child_process')
      const serve = (port, word) => new Promise((r) => net.createServer((s) => s.end(word)).listen(port, '127.0.0.1', r))
      const ask = \`const s = require('node:net').connect(8081, '127.0.0.1'); let t = ''; s.on('data', (d) => t += d); s.on('end', () => console.log(t)); s.on('error', (e) => console.log('error ' + e.code))\`
      // Asynchronous children: the servers answer from this very process.
      const connectAs = (ids) => new Promise((r) => execFile(process.execPath, ['-e', ask], { encoding: 'utf8', timeout: 10000, ...ids }, (e, out) => r(e ? 'failed ' + e.message : out.trim())))
      Promise.all([serve(8081, 'app'), serve(15006, 'sidecar')])
        .then(() => Promise.all([connectAs({}), connectAs({ uid: 1337, gid: 1337 })]))
        .then(([asRoot, asSidecar]) => { console.log(JSON.stringify({ asRoot, asSidecar })); process.exit(0) })`
    const shell = ['ip link set lo up', 'sh -c "$SCRIPT"', 'sh -c "$SCRIPT"', 'iptables -t nat -S', 'echo ---', `"${process.execPath}" -e "$PROBE"`].join(
      ' && ',
    )
    const run = spawnSync('unshare', ['-n', 'sh', '-c', shell], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, SCRIPT: script, PROBE: probe },
      timeout: 60_000,
    })
    t.equal(run.status, 0, run.stderr)
    const [rules, result] = run.stdout.split('---\n')
    t.same(JSON.parse(result.trim()), { asRoot: 'sidecar', asSidecar: 'app' }, 'redirected to the sidecar, except for the sidecar user')
    const lines = rules.split('\n')
    t.equal(lines.filter((l) => l === '-A PREROUTING -p tcp -j TRACECAR_INBOUND').length, 1, 'inbound traffic jumps to the redirect once, after two runs')
    t.equal(lines.filter((l) => l === '-A OUTPUT -p tcp -j TRACECAR_LOCAL').length, 1)
    t.equal(lines.filter((l) => /-A TRACECAR_INBOUND .*--dport 8081 -j REDIRECT --to-ports 15006/.test(l)).length, 1)
  })
}
