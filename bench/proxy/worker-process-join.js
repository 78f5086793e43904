// What the worker-process join rule costs the sidecar, per request.
//
//   npm run build && node bench/proxy/worker-process-join.js [--duration 10] [--connections 4] [--rounds 3] [--workers 4]
//
// A legacy service (test/proxy/legacy_wsgi_service.py under Debian's gunicorn,
// sync workers) forwards no header and calls the next service (the bench
// upstream) through its sidecar's outbound proxy, on a new connection each
// time (python3-requests). The sidecar runs twice per round, interleaved:
// with the default join rules (context, correlation: the calls stay
// unjoined) and with worker-process added (each call joins its request, found
// through /proc). The sidecar's CPU time (user + system, all threads, from
// /proc/<pid>/stat) over the load phase is divided by the inbound requests
// answered; each request makes one outbound call, so the difference between
// the two rows is what the rule costs per call. Also printed: the calls
// joined by the rule (from /metrics) and the size of /proc/net/tcp{,6} (what
// each lookup reads; in a pod it holds only the pod's own sockets).
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { cpuSeconds } from '../proc-cpu.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '4' },
  },
})
const DURATION_S = Number(opts.duration)
const CONNECTIONS = Number(opts.connections)
const ROUNDS = Number(opts.rounds)
const WORKERS = Number(opts.workers)

if (spawnSync('gunicorn', ['--version']).status !== 0 || spawnSync('/usr/bin/python3', ['-c', 'import requests']).status !== 0) {
  process.stderr.write('bench: needs Debian packages gunicorn and python3-requests (.ci/run installs them)\n')
  process.exit(1)
}

const children = []
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Spawns a process and resolves once `pattern` matches what it printed (stdout or stderr). */
function startUntil(cmd, args, pattern, options = {}) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options })
  children.push(child)
  let out = ''
  return new Promise((resolve, reject) => {
    const look = (d) => {
      out += d
      const m = pattern.exec(out)
      if (m) resolve({ child, match: m })
    }
    child.stdout.on('data', look)
    child.stderr.on('data', look)
    child.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)))
  })
}

function procNetTcpLines() {
  let lines = 0
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      lines += readFileSync(f, 'utf8').split('\n').length - 2
    } catch {
      // No IPv6 table.
    }
  }
  return lines
}

async function freePort() {
  const net = await import('node:net')
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function runOnce(joinRules, next) {
  const servicePort = await freePort()
  const sidecar = await startUntil(
    process.execPath,
    [
      'bin/tracecar.js',
      'proxy',
      '--upstream',
      `http://127.0.0.1:${servicePort}`,
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      '0',
      '--admin-port',
      '0',
      '--outbound-port',
      '0',
      '--outbound-join',
      joinRules,
      '--exporter',
      'none',
      '--access-log-destination',
      '/dev/null',
    ],
    /listening on [^:]+:(\d+) .*admin on [^:]+:(\d+); outbound proxy on [^:]+:(\d+)/,
  )
  const [, port, adminPort, outboundPort] = sidecar.match.map(Number)
  const outbound = `http://127.0.0.1:${outboundPort}`
  const service = await startUntil(
    'gunicorn',
    [
      '--workers',
      String(WORKERS),
      '--worker-class',
      'sync',
      '--bind',
      `127.0.0.1:${servicePort}`,
      '--chdir',
      join(root, 'test/proxy'),
      'legacy_wsgi_service:app',
    ],
    new RegExp(`(?:Booting worker[^]*){${WORKERS}}`),
    { env: { PATH: process.env.PATH, NEXT: next, HTTP_PROXY: outbound, http_proxy: outbound, NO_PROXY: '', DELAY_MS: '0', PYTHONDONTWRITEBYTECODE: '1' } },
  )
  const url = `http://127.0.0.1:${port}/bench/1`
  await autocannon({ url, connections: CONNECTIONS, duration: 2 })
  await sleep(500)
  const cpuBefore = cpuSeconds(sidecar.child.pid)
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S })
  const cpuAfter = cpuSeconds(sidecar.child.pid)
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()
  const joined = Number(/tracecar_outbound_joins_total\{[^}]*rule="worker[-_]process"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0)
  // Every call is either joined (by some rule) or unjoined.
  const calls = [...metrics.matchAll(/^tracecar_outbound_(?:joins|unjoined)_total(?:\{[^}]*\})? (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
  service.child.kill('SIGTERM')
  sidecar.child.kill('SIGTERM')
  await Promise.all([service.child, sidecar.child].map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r)))))
  const requests = result.requests.total
  return {
    requests,
    rps: Math.round(result.requests.average),
    errors: result.errors + result.non2xx,
    cpuUsPerRequest: Math.round(((cpuAfter - cpuBefore) * 1e6) / requests),
    joined,
    calls,
  }
}

const downstream = await startUntil(process.execPath, ['bench/proxy/upstream.js'], /^(\d+)\s*\n/)
const next = `http://127.0.0.1:${downstream.match[1]}`
const variants = [
  { name: 'default rules (context, correlation): calls unjoined', join: 'context,correlation' },
  { name: 'with worker-process (context, correlation, worker-process)', join: 'context,correlation,worker-process' },
]
const rows = variants.map(() => [])
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < variants.length; i++) {
    process.stderr.write(`bench: round ${round + 1}: ${variants[i].name}...\n`)
    rows[i].push(await runOnce(variants[i].join, next))
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
console.log(
  `gunicorn ${WORKERS} sync workers, ${CONNECTIONS} connections, ${DURATION_S} s, ${ROUNDS} rounds; /proc/net/tcp{,6}: ${procNetTcpLines()} sockets\n`,
)
console.log('| sidecar | req/s | CPU µs/req (median) | per round | outbound calls joined by worker-process | errors |')
console.log('| --- | ---: | ---: | --- | ---: | ---: |')
variants.forEach((v, i) => {
  const r = rows[i]
  const joinedShare =
    r.reduce((n, x) => n + x.joined, 0) /
    Math.max(
      1,
      r.reduce((n, x) => n + x.calls, 0),
    )
  console.log(
    `| ${v.name} | ${median(r.map((x) => x.rps))} | ${median(r.map((x) => x.cpuUsPerRequest))} | ${r.map((x) => x.cpuUsPerRequest).join(', ')} | ${(joinedShare * 100).toFixed(1)}% | ${r.reduce((n, x) => n + x.errors, 0)} |`,
  )
})
const cost = median(rows[1].map((x, k) => x.cpuUsPerRequest - rows[0][k].cpuUsPerRequest))
console.log(`\nthe worker-process rule: +${cost} µs of sidecar CPU per request (median of the per-round differences; one outbound call each)`)
process.exit(0)
