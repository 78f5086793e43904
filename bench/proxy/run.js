// The proxy benchmark: one command, every target side by side in one run.
//
//   npm run bench            (builds first; see bench/README.md)
//   node bench/proxy/run.js [--duration 10] [--connections 50] [--rate 1000] [--rate-seconds 10] [--rate-warm-up-seconds 3]
//                           [--rounds 3] [--load-tool autocannon|wrk] [--outage-seconds 20]
//                           [--only direct,tracecar,node-option,unsampled,node-engine,bare,pipe,http-proxy,nginx,outage]
//                           [--baseline-dist <another build's dist/>]
//
// Targets: a direct connection to the upstream (the physical limit), tracecar
// with 100% sampling exporting to a local OTLP sink, tracecar with sampling
// off, a bare node:http + undici proxy (the floor of Node's own stacks), the
// naive http-proxy baseline, and nginx (skipped with a message when it is not
// installed and cannot be). For each: requests/s at a fixed number of
// connections (autocannon, or wrk), latency at a fixed rate with microsecond
// resolution (latency-probe.js), the proxy's CPU time per request at
// saturation and at the fixed rate, and its RSS, read from /proc. The targets
// run in interleaved rounds (A B C, A B C, ...), a fresh process each time, and
// the table gives the median per column. Then an outage run: tracecar with
// its collector gone.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync, accessSync, constants as fsConstants } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, delimiter } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { CLK_TCK, cpuSeconds, peakRssMiB } from '../proc-cpu.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    'rate-seconds': { type: 'string', default: '10' },
    'rate-warm-up-seconds': { type: 'string', default: '3' },
    'outage-seconds': { type: 'string', default: '20' },
    // Interleaved rounds: every selected target once per round, in the same order; medians reported.
    rounds: { type: 'string', default: '3' },
    // Saturation load generator: autocannon (in this process) or wrk (C, one thread; when on PATH).
    'load-tool': { type: 'string', default: 'autocannon' },
    'wrk-threads': { type: 'string', default: '1' },
    only: { type: 'string' },
    // A/B: also run tracecar (100%) from another build's dist/ directory, side by side.
    'baseline-dist': { type: 'string' },
  },
})
const DURATION_S = Number(opts.duration)
const CONNECTIONS = Number(opts.connections)
const RATE = Number(opts.rate)
const RATE_S = Number(opts['rate-seconds'])
const RATE_WARM_S = Number(opts['rate-warm-up-seconds'])
const ROUNDS = Math.max(1, Number(opts.rounds))

function onPath(bin) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, bin), fsConstants.X_OK)
      return true
    } catch {
      // not there, or not executable: look in the next folder
    }
  }
  return false
}
if (!['autocannon', 'wrk'].includes(opts['load-tool'])) throw new Error(`--load-tool: autocannon or wrk, not ${opts['load-tool']}`)
let LOAD_TOOL = opts['load-tool']
if (LOAD_TOOL === 'wrk' && !onPath('wrk')) {
  process.stderr.write('bench: wrk not on PATH (Debian package wrk): using autocannon\n')
  LOAD_TOOL = 'autocannon'
}

const children = []
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))

/** Spawns a process and resolves with the first number it prints (its port). */
function startPrintingPort(cmd, args, options = {}) {
  const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options })
  children.push(child)
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      // A bare port number, or the OTLP sink's JSON line {"event":"listening","port":N}.
      const m = /"port":(\d+)/.exec(out) ?? /^(\d+)\s*\n/.exec(out)
      if (m) resolve({ child, port: Number(m[1]) })
    })
    child.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`)))
  })
}

function startTracecar(upstreamUrl, sinkPort, extra, entry = 'bin/tracecar.js', env = process.env) {
  const child = spawn(
    process.execPath,
    [
      entry,
      'proxy',
      '--upstream',
      upstreamUrl,
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      '0',
      '--admin-port',
      '0',
      '--access-log-destination',
      '/dev/null',
      '--otlp-endpoint',
      `http://127.0.0.1:${sinkPort}/v1/traces`,
      ...extra,
    ],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  children.push(child)
  let err = ''
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d
      const m = /listening on [^:]+:(\d+) .*admin on [^:]+:(\d+)/.exec(err)
      if (m) resolve({ child, port: Number(m[1]), adminPort: Number(m[2]), pids: () => [child.pid], stderr: () => err })
    })
    child.on('exit', (code) => reject(new Error(`tracecar exited ${code}: ${err}`)))
  })
}

function nginxBinary() {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p
  if (process.getuid?.() === 0) {
    process.stderr.write('bench: nginx missing, installing Debian package nginx-light...\n')
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'nginx-light'], { stdio: 'ignore' })
    for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p
  }
  return undefined
}

async function startNginx(upstreamPort) {
  const bin = nginxBinary()
  if (bin === undefined) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-bench-nginx-'))
  mkdirSync(join(dir, 'logs'))
  const port = 20000 + Math.floor(Math.random() * 20000)
  writeFileSync(
    join(dir, 'nginx.conf'),
    `
worker_processes 1;
error_log ${dir}/logs/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`,
  )
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' })
  children.push(child)
  await new Promise((r) => setTimeout(r, 500))
  if (child.exitCode !== null) return undefined
  return { child, port, pids: () => [child.pid, ...childPids(child.pid)] }
}

function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function cannon(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, ...options }, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

/** wrk's summary: completed requests, requests/s, socket errors + HTTP status >= 400. */
function parseWrk(out) {
  const total = /(\d+) requests in ([\d.]+)(\w+)/.exec(out)
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
  if (total === null || rps === null) throw new Error(`cannot read wrk's output:\n${out}`)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const status = /Non-2xx or 3xx responses: (\d+)/.exec(out)
  const errors = (socket ? socket.slice(1).reduce((a, n) => a + Number(n), 0) : 0) + (status ? Number(status[1]) : 0)
  return { requests: Number(total[1]), rps: Number(rps[1]), errors }
}

/**
 * Runs a load tool in its own process and resolves with `parse(stdout)`.
 * Asynchronous: this process keeps draining the targets' stderr pipes (a full
 * pipe would block them) and runs its own timers (the outage run kills the
 * collector while the probe runs).
 */
function runTool(command, args, parse) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err}${out}`))
      else {
        try {
          resolve(parse(out))
        } catch (e) {
          reject(e)
        }
      }
    })
  })
}

/** wrk at CONNECTIONS connections for `seconds`. */
function wrk(url, seconds) {
  const threads = Math.min(Number(opts['wrk-threads']), CONNECTIONS)
  return runTool('wrk', ['-t', String(threads), '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--timeout', '10s', url], parseWrk)
}

/** Closed loop at CONNECTIONS connections for `seconds`: { requests, rps, errors }. */
async function saturate(url, seconds) {
  if (LOAD_TOOL === 'wrk') return wrk(url, seconds)
  const r = await cannon(url, { connections: CONNECTIONS, duration: seconds })
  return { requests: r.requests.total, rps: r.requests.average, errors: r.errors + r.non2xx }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * Waits (at most 3 s) until the processes use no more than one clock tick of
 * CPU in 200 ms: work left over from the previous phase (a span export queue
 * still draining, garbage collection) is not counted in the next one.
 */
async function settle(pids) {
  const deadline = Date.now() + 3000
  let prev = cpuSeconds(pids())
  while (Date.now() < deadline) {
    await sleep(200)
    const now = cpuSeconds(pids())
    if (now - prev <= 1 / CLK_TCK) return
    prev = now
  }
}

/** The latency probe in its own process, so its timing is not disturbed by this one. */
function probe(url, rate, seconds) {
  return runTool(process.execPath, [join(root, 'bench/proxy/latency-probe.js'), url, String(rate), String(seconds)], (out) =>
    JSON.parse(out.trim().split('\n').pop()),
  )
}

async function scrape(adminPort) {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`)
  return res.text()
}

function metricSum(text, name, filter = '') {
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && line.includes(filter) && !line.startsWith('#')) sum += Number(line.split(' ')[1])
  }
  return sum
}

function rssMiB(pids) {
  let kb = 0
  for (const pid of pids) kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1])
  return kb / 1024
}

/** One target, one round: a freshly started process (pids undefined: no proxy, nothing to read). */
async function measure(name, url, pids) {
  // Idle: started, listening, not one request yet (a second to settle).
  await sleep(1000)
  const idleRssMiB = pids ? Math.round(rssMiB(pids())) : null
  process.stderr.write(`bench: ${name}: warm-up...\n`)
  await saturate(url, 2)
  process.stderr.write(`bench: ${name}: ${CONNECTIONS} connections for ${DURATION_S} s (${LOAD_TOOL})...\n`)
  const cpuBefore = pids ? cpuSeconds(pids()) : 0
  const load = await saturate(url, DURATION_S)
  const cpuAfter = pids ? cpuSeconds(pids()) : 0
  // The probe's requests differ from the load tool's (other headers, other
  // connections): a JIT-compiled proxy re-optimizes for them in its first
  // seconds. Unmeasured, so the figure is the steady cost at this rate.
  process.stderr.write(`bench: ${name}: ${RATE} req/s for ${RATE_WARM_S} s (warm-up at the rate)...\n`)
  const rateWarmUp = await probe(url, RATE, RATE_WARM_S)
  process.stderr.write(`bench: ${name}: ${RATE} req/s for ${RATE_S} s (latency, CPU)...\n`)
  if (pids) await settle(pids)
  const rateCpuBefore = pids ? cpuSeconds(pids()) : 0
  const latency = await probe(url, RATE, RATE_S)
  if (pids) await settle(pids)
  const rateCpuAfter = pids ? cpuSeconds(pids()) : 0
  return {
    name,
    rps: Math.round(load.rps),
    requests: load.requests,
    errors: load.errors + rateWarmUp.errors,
    cpuUsPerRequest: pids ? Math.round(((cpuAfter - cpuBefore) * 1e6) / load.requests) : null,
    cpuUsPerRequestAtRate: pids ? Math.round(((rateCpuAfter - rateCpuBefore) * 1e6) / latency.sent) : null,
    idleRssMiB,
    peakRssMiB: pids ? Math.round(peakRssMiB(pids())) : null,
    latency,
  }
}

/** Signals a child and waits for it to be gone (SIGKILL after 5 s), so it takes no CPU from the next target. */
function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill(signal)
  })
}

function median(values) {
  if (values.length === 0 || values.some((v) => v === null || v === undefined)) return null
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return Math.round(s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2)
}

/** One row of the table: the median of each column over the rounds, errors and spans summed. */
function summarize(id, runs) {
  const col = (f) => median(runs.map(f))
  const sum = (f) => runs.reduce((a, r) => a + (f(r) ?? 0), 0)
  const s = {
    id,
    name: runs[0].name,
    rounds: runs.length,
    rps: col((r) => r.rps),
    errors: sum((r) => r.errors),
    cpuUsPerRequest: col((r) => r.cpuUsPerRequest),
    cpuUsPerRequestAtRate: col((r) => r.cpuUsPerRequestAtRate),
    idleRssMiB: col((r) => r.idleRssMiB),
    peakRssMiB: col((r) => r.peakRssMiB),
    latency: {
      sent: sum((r) => r.latency.sent),
      errors: sum((r) => r.latency.errors),
      p50Us: col((r) => r.latency.p50Us),
      p99Us: col((r) => r.latency.p99Us),
      p999Us: col((r) => r.latency.p999Us),
    },
  }
  if (runs[0].spansExported !== undefined) {
    s.spansExported = sum((r) => r.spansExported)
    s.spansDropped = sum((r) => r.spansDropped)
  }
  return s
}

function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

async function main() {
  const upstream = await startPrintingPort(process.execPath, ['bench/proxy/upstream.js'])
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`
  const sink = await startPrintingPort(process.execPath, ['bench/otlp-sink.js', '--port', '0'])
  const want = (n) => opts.only === undefined || opts.only.split(',').includes(n)
  const loadAtStart = loadAverage()

  /** tracecar as a target; its span counters are read from /metrics after each round. */
  const tracecar = (extra, entry, env) => async () => {
    const tc = await startTracecar(upstreamUrl, sink.port, extra, entry, env)
    return {
      url: `http://127.0.0.1:${tc.port}/`,
      pids: tc.pids,
      async after(r) {
        // With sampling off nothing is exported: there is nothing to count.
        if (extra.includes('always_off')) return
        const m = await scrape(tc.adminPort)
        r.spansDropped = metricSum(m, 'tracecar_exporter_spans_dropped_total')
        r.spansExported = metricSum(m, 'tracecar_exporter_spans_exported_total')
      },
      stop: () => stop(tc.child),
    }
  }
  const printingPort = (script) => async () => {
    const p = await startPrintingPort(process.execPath, [script, upstreamUrl])
    return { url: `http://127.0.0.1:${p.port}/`, pids: () => [p.child.pid], stop: () => stop(p.child) }
  }
  // The order of a round (A B C, A B C, ...).
  const targets = [
    { id: 'direct', name: 'direct', start: async () => ({ url: upstreamUrl + '/', pids: undefined, stop: async () => {} }) },
    { id: 'tracecar', name: 'tracecar (100% sampled, exporting)', start: tracecar([]) },
    ...(opts['baseline-dist'] === undefined
      ? []
      : [
          {
            id: 'baseline',
            name: `tracecar (100%, baseline build ${opts['baseline-dist']})`,
            start: tracecar([], join(opts['baseline-dist'], 'cli/tracecar.js')),
          },
        ]),
    // The young generation capped by a node option, as the container image did until the sidecar capped its own.
    {
      id: 'node-option',
      name: 'tracecar 100%, young generation capped by a node option (NODE_OPTIONS=--max-semi-space-size=2)',
      start: tracecar([], undefined, { ...process.env, NODE_OPTIONS: '--max-semi-space-size=2' }),
    },
    { id: 'unsampled', name: 'tracecar (sampling off)', start: tracecar(['--sampler', 'always_off']) },
    { id: 'node-engine', name: 'tracecar 100%, node engine (--http-engine node: node:http + undici)', start: tracecar(['--http-engine', 'node']) },
    { id: 'bare', name: 'bare node:http + undici (no tracing)', start: printingPort('bench/proxy/bare-proxy.js') },
    { id: 'pipe', name: 'pipe-only Node floor (bytes piped, no HTTP)', start: printingPort('bench/proxy/pipe-proxy.js') },
    { id: 'http-proxy', name: 'http-proxy (naive Node baseline)', start: printingPort('bench/proxy/http-proxy-baseline.js') },
    {
      id: 'nginx',
      name: 'nginx (1 worker)',
      start: async () => {
        const ngx = await startNginx(upstream.port)
        if (ngx === undefined) return undefined
        return { url: `http://127.0.0.1:${ngx.port}/`, pids: ngx.pids, stop: () => stop(ngx.child, 'SIGQUIT') }
      },
    },
  ].filter((t) => t.id === 'baseline' || want(t.id))
  if (targets.some((t) => t.id === 'nginx') && nginxBinary() === undefined) {
    process.stderr.write('bench: nginx skipped: not installed and could not be installed (apt-get install nginx-light)\n')
    targets.splice(
      targets.findIndex((t) => t.id === 'nginx'),
      1,
    )
  }

  const rounds = []
  for (let round = 1; round <= ROUNDS; round++) {
    const results = []
    for (const target of targets) {
      process.stderr.write(`bench: round ${round}/${ROUNDS}: ${target.name}\n`)
      const handle = await target.start()
      if (handle === undefined) {
        process.stderr.write(`bench: ${target.name} did not start; skipped in round ${round}\n`)
        continue
      }
      const r = await measure(target.name, handle.url, handle.pids)
      r.id = target.id
      r.round = round
      await handle.after?.(r)
      await handle.stop()
      results.push(r)
    }
    rounds.push(results)
  }
  const results = targets
    .map((t) => rounds.flatMap((rs) => rs.filter((r) => r.id === t.id)))
    .filter((runs) => runs.length > 0)
    .map((runs) => summarize(runs[0].id, runs))
  const loadAtEnd = loadAverage()

  let outage
  if (want('outage')) outage = await outageRun(upstreamUrl, sink)

  report(results, rounds, outage, { loadAtStart, loadAtEnd })
  children.forEach((c) => c.kill('SIGKILL'))
  process.exit(0)
}

/** tracecar at a fixed rate while its collector is gone for most of the run. */
async function outageRun(upstreamUrl, sink) {
  const seconds = Number(opts['outage-seconds'])
  const tc = await startTracecar(upstreamUrl, sink.port, [])
  const url = `http://127.0.0.1:${tc.port}/`
  process.stderr.write('bench: outage: warm-up...\n')
  await cannon(url, { connections: CONNECTIONS, duration: 2 })
  process.stderr.write(`bench: outage: ${RATE} req/s for ${seconds} s, collector stopped after 1 s...\n`)
  const killSink = setTimeout(() => sink.child.kill('SIGKILL'), 1000)
  const latency = await probe(url, RATE, seconds)
  clearTimeout(killSink)
  if (sink.child.exitCode === null && sink.child.signalCode === null) throw new Error('outage run: the collector was still up at the end')
  const m = await scrape(tc.adminPort)
  const r = {
    seconds,
    requests: latency.sent,
    failed: latency.errors,
    latency,
    peakRssMiB: Math.round(peakRssMiB(tc.pids())),
    spansDropped: {
      queue_full: metricSum(m, 'tracecar_exporter_spans_dropped_total', 'reason="queue_full"'),
      export_failed: metricSum(m, 'tracecar_exporter_spans_dropped_total', 'reason="export_failed"'),
      rejected: metricSum(m, 'tracecar_exporter_spans_dropped_total', 'reason="rejected"'),
    },
  }
  tc.child.kill('SIGTERM')
  return r
}

function report(results, rounds, outage, { loadAtStart, loadAtEnd }) {
  const by = Object.fromEntries(results.map((r) => [r.id, r]))
  const tc = by.tracecar
  const x = (a, b) => (a === null || b === null || b === 0 ? '?' : `${(a / b).toFixed(2)}x`)
  /** The same ratio round by round (both targets measured in the same round), to show the spread. */
  const perRound = (a, b, f) => {
    if (ROUNDS < 2) return ''
    const each = rounds
      .map((rs) => {
        const ra = rs.find((r) => r.id === a)
        const rb = rs.find((r) => r.id === b)
        return ra && rb && f(rb) ? (f(ra) / f(rb)).toFixed(2) : undefined
      })
      .filter((v) => v !== undefined)
    return each.length > 1 ? ` (rounds: ${each.join(', ')})` : ''
  }
  const sat = (r) => r.cpuUsPerRequest
  const atRate = (r) => r.cpuUsPerRequestAtRate
  const rps = (r) => r.rps
  const cpuRatios = (a, b) =>
    `${x(sat(a), sat(b))} CPU/req at saturation${perRound(a.id, b.id, sat)}, ${x(atRate(a), atRate(b))} at ${RATE}/s${perRound(a.id, b.id, atRate)}`

  const lines = []
  lines.push(
    `| target | req/s @${CONNECTIONS} conn (${LOAD_TOOL}) | p50 µs @${RATE}/s | p99 µs | p99.9 µs | CPU µs/req @${CONNECTIONS} conn (${LOAD_TOOL}) | CPU µs/req @${RATE}/s | idle RSS MiB | peak RSS MiB | errors |`,
  )
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.rps} | ${r.latency.p50Us} | ${r.latency.p99Us} | ${r.latency.p999Us} | ${r.cpuUsPerRequest ?? '—'} | ${r.cpuUsPerRequestAtRate ?? '—'} | ${r.idleRssMiB ?? '—'} | ${r.peakRssMiB ?? '—'} | ${r.errors + r.latency.errors} |`,
    )
  }
  const ratios = []
  for (const [id, label] of [
    ['tracecar', 'tracecar'],
    ['node-option', 'tracecar with the node option'],
    ['unsampled', 'tracecar unsampled'],
    ['node-engine', 'tracecar on the node engine'],
  ]) {
    const t = by[id]
    if (t === undefined) continue
    if (by.direct && id === 'tracecar')
      ratios.push(
        `tracecar vs direct: ${x(t.rps, by.direct.rps)} req/s${perRound(id, 'direct', rps)}, p99 +${t.latency.p99Us - by.direct.latency.p99Us} µs at ${RATE}/s`,
      )
    if (by.baseline && id !== 'unsampled')
      ratios.push(
        `${label} vs baseline build: ${x(sat(t), sat(by.baseline))} of baseline CPU/req at saturation${perRound(id, 'baseline', sat)}, ${x(atRate(t), atRate(by.baseline))} at ${RATE}/s${perRound(id, 'baseline', atRate)}; ${x(t.rps, by.baseline.rps)} req/s; peak RSS ${t.peakRssMiB} vs ${by.baseline.peakRssMiB} MiB`,
      )
    if (by.bare) ratios.push(`${label} vs bare node:http+undici: ${cpuRatios(t, by.bare)}; ${x(t.rps, by.bare.rps)} req/s${perRound(id, 'bare', rps)}`)
    if (by.pipe) ratios.push(`${label} vs the pipe-only floor: ${cpuRatios(t, by.pipe)}`)
    if (by['http-proxy'])
      ratios.push(`${label} vs http-proxy: ${x(t.rps, by['http-proxy'].rps)} req/s${perRound(id, 'http-proxy', rps)}, ${cpuRatios(t, by['http-proxy'])}`)
    if (by.nginx) ratios.push(`${label} vs nginx: ${x(t.rps, by.nginx.rps)} req/s, ${cpuRatios(t, by.nginx)}`)
    if (id !== 'unsampled') ratios.push(`${label}: spans exported ${t.spansExported}, dropped ${t.spansDropped} (all rounds)`)
  }
  if (by.bare && by.nginx)
    ratios.push(`bare node:http+undici vs nginx (the Node floor): ${x(by.bare.rps, by.nginx.rps)} req/s, ${cpuRatios(by.bare, by.nginx)}`)
  const text = [
    `# proxy benchmark, ${new Date().toISOString()}, node ${process.version}; median of ${ROUNDS} interleaved round${ROUNDS === 1 ? '' : 's'} (errors: all rounds); load average ${loadAtStart} at the start, ${loadAtEnd} at the end`,
    '',
    ...lines,
    '',
    ...ratios.map((r) => `- ${r}`),
    ...(outage
      ? [
          '',
          `outage (collector killed 1 s into a ${outage.seconds} s run at ${RATE}/s): ${outage.failed} of ${outage.requests} requests failed, p50 ${outage.latency.p50Us} µs, p99 ${outage.latency.p99Us} µs${tc ? ` (${tc.latency.p99Us} µs with the collector up: ${outage.latency.p99Us >= tc.latency.p99Us ? '+' : ''}${outage.latency.p99Us - tc.latency.p99Us} µs)` : ''}, p99.9 ${outage.latency.p999Us} µs, peak RSS ${outage.peakRssMiB} MiB, spans dropped ${JSON.stringify(outage.spansDropped)}`,
        ]
      : []),
  ].join('\n')
  process.stdout.write(text + '\n')
  mkdirSync(join(root, 'bench/results'), { recursive: true })
  const file = join(root, 'bench/results', `proxy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  const settings = {
    duration: DURATION_S,
    connections: CONNECTIONS,
    rate: RATE,
    rateSeconds: RATE_S,
    rateWarmUpSeconds: RATE_WARM_S,
    rounds: ROUNDS,
    loadTool: LOAD_TOOL,
    loadAtStart,
    loadAtEnd,
  }
  writeFileSync(file, JSON.stringify({ settings, results, rounds, outage }, null, 2))
  process.stderr.write(`bench: raw figures in ${file}\n`)
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack}\n`)
  process.exit(1)
})
