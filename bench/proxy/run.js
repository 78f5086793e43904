// The proxy benchmark: one command, every target side by side in one run.
//
//   npm run bench            (builds first; see bench/README.md)
//   node bench/proxy/run.js [--duration 10] [--connections 50] [--rate 1000] [--outage-seconds 20]
//
// Targets: a direct connection to the upstream (the physical limit), tracecar
// with 100% sampling exporting to a local OTLP sink, tracecar with sampling
// off, the naive http-proxy baseline, and nginx (skipped with a message when
// it is not installed and cannot be). For each: requests/s at a fixed number
// of connections (autocannon), latency at a fixed rate with microsecond
// resolution (latency-probe.js), the proxy's CPU time per request and peak RSS
// read from /proc. Then an outage run: tracecar with its collector gone.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const root = fileURLToPath(new URL('../../', import.meta.url))
const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    rate: { type: 'string', default: '1000' },
    'rate-seconds': { type: 'string', default: '10' },
    'outage-seconds': { type: 'string', default: '20' },
    only: { type: 'string' },
    // A/B: also run tracecar (100%) from another build's dist/ directory, side by side.
    'baseline-dist': { type: 'string' },
  },
})
const DURATION_S = Number(opts.duration)
const CONNECTIONS = Number(opts.connections)
const RATE = Number(opts.rate)
const RATE_S = Number(opts['rate-seconds'])
const CLK_TCK = 100

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

function startTracecar(upstreamUrl, sinkPort, extra, entry = 'bin/tracecar.js') {
  const child = spawn(process.execPath, [entry, 'proxy', '--upstream', upstreamUrl, '--listen-host', '127.0.0.1',
    '--listen-port', '0', '--admin-port', '0', '--access-log-destination', '/dev/null',
    '--otlp-endpoint', `http://127.0.0.1:${sinkPort}/v1/traces`, ...extra], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] })
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
  writeFileSync(join(dir, 'nginx.conf'), `
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
`)
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

/** CPU seconds (user + system, all threads) of the given processes. */
function cpuSeconds(pids) {
  let ticks = 0
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / CLK_TCK
}

function peakRssMiB(pids) {
  let kb = 0
  for (const pid of pids) kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1])
  return kb / 1024
}

function cannon(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, ...options }, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

/**
 * The latency probe in its own process (so its timing is not disturbed by this
 * one). Asynchronous: this process must keep draining the proxies' stderr
 * pipes (a full pipe would block them) and run its own timers (the outage run
 * kills the collector while the probe runs).
 */
function probe(url, rate, seconds) {
  const child = spawn(process.execPath, [join(root, 'bench/proxy/latency-probe.js'), url, String(rate), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`latency probe failed: ${err}`))
      else resolve(JSON.parse(out.trim().split('\n').pop()))
    })
  })
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

async function measure(name, url, pids) {
  // Idle: started, listening, not one request yet (a second to settle).
  await new Promise((r) => setTimeout(r, 1000))
  const idleRssMiB = pids ? Math.round(rssMiB(pids())) : null
  process.stderr.write(`bench: ${name}: warm-up...\n`)
  await cannon(url, { connections: CONNECTIONS, duration: 2 })
  process.stderr.write(`bench: ${name}: ${CONNECTIONS} connections for ${DURATION_S} s...\n`)
  const cpuBefore = pids ? cpuSeconds(pids()) : 0
  const load = await cannon(url, { connections: CONNECTIONS, duration: DURATION_S })
  const cpuAfter = pids ? cpuSeconds(pids()) : 0
  const requests = load.requests.total
  process.stderr.write(`bench: ${name}: ${RATE} req/s for ${RATE_S} s (latency)...\n`)
  const latency = await probe(url, RATE, RATE_S)
  return {
    name,
    rps: Math.round(load.requests.average),
    errors: load.errors + load.non2xx,
    cpuUsPerRequest: pids ? Math.round(((cpuAfter - cpuBefore) * 1e6) / requests) : null,
    idleRssMiB,
    peakRssMiB: pids ? Math.round(peakRssMiB(pids())) : null,
    latency,
  }
}

async function main() {
  const upstream = await startPrintingPort(process.execPath, ['bench/proxy/upstream.js'])
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`
  const sink = await startPrintingPort(process.execPath, ['bench/otlp-sink.js', '--port', '0'])
  const results = []
  const want = (n) => opts.only === undefined || opts.only.split(',').includes(n)

  if (want('direct')) results.push(await measure('direct', upstreamUrl + '/', undefined))

  if (want('tracecar')) {
    const tc = await startTracecar(upstreamUrl, sink.port, [])
    const r = await measure('tracecar (100% sampled, exporting)', `http://127.0.0.1:${tc.port}/`, tc.pids)
    const m = await scrape(tc.adminPort)
    r.spansDropped = metricSum(m, 'tracecar_exporter_spans_dropped_total')
    r.spansExported = metricSum(m, 'tracecar_exporter_spans_exported_total')
    results.push(r)
    tc.child.kill('SIGTERM')
  }
  if (opts['baseline-dist'] !== undefined) {
    const entry = join(opts['baseline-dist'], 'cli/tracecar.js')
    const tc = await startTracecar(upstreamUrl, sink.port, [], entry)
    const r = await measure(`tracecar (100%, baseline build ${opts['baseline-dist']})`, `http://127.0.0.1:${tc.port}/`, tc.pids)
    const m = await scrape(tc.adminPort)
    r.spansDropped = metricSum(m, 'tracecar_exporter_spans_dropped_total')
    r.spansExported = metricSum(m, 'tracecar_exporter_spans_exported_total')
    results.push(r)
    tc.child.kill('SIGTERM')
  }
  if (want('unsampled')) {
    const tc = await startTracecar(upstreamUrl, sink.port, ['--sampler', 'always_off'])
    results.push(await measure('tracecar (sampling off)', `http://127.0.0.1:${tc.port}/`, tc.pids))
    tc.child.kill('SIGTERM')
  }
  if (want('http-proxy')) {
    const hp = await startPrintingPort(process.execPath, ['bench/proxy/http-proxy-baseline.js', upstreamUrl])
    results.push(await measure('http-proxy (naive Node baseline)', `http://127.0.0.1:${hp.port}/`, () => [hp.child.pid]))
    hp.child.kill('SIGTERM')
  }
  if (want('nginx')) {
    const ngx = await startNginx(upstream.port)
    if (ngx === undefined) {
      process.stderr.write('bench: nginx skipped: not installed and could not be installed (apt-get install nginx-light)\n')
    } else {
      results.push(await measure('nginx (1 worker)', `http://127.0.0.1:${ngx.port}/`, ngx.pids))
      ngx.child.kill('SIGQUIT')
    }
  }

  let outage
  if (want('outage')) outage = await outageRun(upstreamUrl, sink)

  report(results, outage)
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

function report(results, outage) {
  const by = Object.fromEntries(results.map((r) => [r.name.split(' ')[0] + (r.name.includes('off') ? '-off' : ''), r]))
  const tc = results.find((r) => r.name.startsWith('tracecar (100%'))
  const lines = []
  lines.push(`| target | req/s @${CONNECTIONS} conn | p50 µs @${RATE}/s | p99 µs | p99.9 µs | CPU µs/req | idle RSS MiB | peak RSS MiB | errors |`)
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const r of results) {
    lines.push(`| ${r.name} | ${r.rps} | ${r.latency.p50Us} | ${r.latency.p99Us} | ${r.latency.p999Us} | ${r.cpuUsPerRequest ?? '—'} | ${r.idleRssMiB ?? '—'} | ${r.peakRssMiB ?? '—'} | ${r.errors + r.latency.errors} |`)
  }
  const ratios = []
  if (tc) {
    const direct = by.direct
    const hp = results.find((r) => r.name.startsWith('http-proxy'))
    const ngx = results.find((r) => r.name.startsWith('nginx'))
    if (direct) ratios.push(`tracecar vs direct: ${(tc.rps / direct.rps).toFixed(2)}x req/s, p99 +${tc.latency.p99Us - direct.latency.p99Us} µs at ${RATE}/s`)
    if (hp) ratios.push(`tracecar vs http-proxy: ${(tc.rps / hp.rps).toFixed(2)}x req/s, ${(tc.cpuUsPerRequest / hp.cpuUsPerRequest).toFixed(2)}x CPU/req`)
    if (ngx) ratios.push(`tracecar vs nginx: ${(tc.rps / ngx.rps).toFixed(2)}x req/s, ${(tc.cpuUsPerRequest / ngx.cpuUsPerRequest).toFixed(2)}x CPU/req`)
    ratios.push(`spans exported ${tc.spansExported}, dropped ${tc.spansDropped}`)
  }
  const off = results.find((r) => r.name.startsWith('tracecar (sampling off'))
  const hpOff = results.find((r) => r.name.startsWith('http-proxy'))
  const ngxOff = results.find((r) => r.name.startsWith('nginx'))
  if (off && hpOff) ratios.push(`tracecar unsampled vs http-proxy: ${(off.rps / hpOff.rps).toFixed(2)}x req/s, ${(off.cpuUsPerRequest / hpOff.cpuUsPerRequest).toFixed(2)}x CPU/req`)
  if (off && ngxOff) ratios.push(`tracecar unsampled vs nginx: ${(off.rps / ngxOff.rps).toFixed(2)}x req/s, ${(off.cpuUsPerRequest / ngxOff.cpuUsPerRequest).toFixed(2)}x CPU/req`)
  const text = [
    `# proxy benchmark, ${new Date().toISOString()}, node ${process.version}`,
    '',
    ...lines,
    '',
    ...ratios.map((r) => `- ${r}`),
    ...(outage
      ? ['', `outage (collector killed 1 s into a ${outage.seconds} s run at ${RATE}/s): ${outage.failed} of ${outage.requests} requests failed, p50 ${outage.latency.p50Us} µs, p99 ${outage.latency.p99Us} µs${tc ? ` (${tc.latency.p99Us} µs with the collector up: ${outage.latency.p99Us >= tc.latency.p99Us ? '+' : ''}${outage.latency.p99Us - tc.latency.p99Us} µs)` : ''}, p99.9 ${outage.latency.p999Us} µs, peak RSS ${outage.peakRssMiB} MiB, spans dropped ${JSON.stringify(outage.spansDropped)}`]
      : []),
  ].join('\n')
  process.stdout.write(text + '\n')
  mkdirSync(join(root, 'bench/results'), { recursive: true })
  const file = join(root, 'bench/results', `proxy-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify({ results, outage }, null, 2))
  process.stderr.write(`bench: raw figures in ${file}\n`)
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack}\n`)
  process.exit(1)
})
