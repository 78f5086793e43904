#!/usr/bin/env node
// Where the proxy's CPU goes: runs tracecar under `node --cpu-prof` behind a
// fixed number of requests at a fixed rate, then prints, per thread (main and
// each export worker), the CPU µs per request and the functions with the most
// self time. Complements run.js, whose wall-clock figures are noisy on a shared
// machine: CPU per request from a profile is steadier.
//
//   npm run build && node bench/proxy/profile.js [--requests 20000] [--rate 2000] [--top 25] [--dist dist] [-- <extra tracecar flags>]
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { cpuSeconds } from '../proc-cpu.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const { values: opts, positionals: extra } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '2000' },
    top: { type: 'string', default: '25' },
    dist: { type: 'string', default: 'dist' },
  },
})

const children = []
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')))

function startPrintingPort(args) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  return new Promise((resolve) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /"port":(\d+)/.exec(out) ?? /^(\d+)\s*\n/.exec(out)
      if (m) resolve({ child, port: Number(m[1]) })
    })
  })
}

const upstream = await startPrintingPort(['bench/proxy/upstream.js'])
const sink = await startPrintingPort(['bench/otlp-sink.js', '--port', '0'])
const profDir = mkdtempSync(join(tmpdir(), 'tracecar-prof-'))
const tc = spawn(
  process.execPath,
  [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
    join(opts.dist, 'cli/tracecar.js'),
    'proxy',
    '--upstream',
    `http://127.0.0.1:${upstream.port}`,
    '--listen-host',
    '127.0.0.1',
    '--listen-port',
    '0',
    '--admin-port',
    '0',
    '--access-log-destination',
    '/dev/null',
    '--otlp-endpoint',
    `http://127.0.0.1:${sink.port}/v1/traces`,
    ...extra,
  ],
  { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
)
children.push(tc)
const port = await new Promise((resolve) => {
  let err = ''
  tc.stderr.on('data', (d) => {
    err += d
    const m = /listening on [^:]+:(\d+)/.exec(err)
    if (m) resolve(Number(m[1]))
  })
})
const requests = Number(opts.requests)
const load = (amount) =>
  new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections: 20, amount, overallRate: Number(opts.rate) }, (e, r) => (e ? reject(e) : resolve(r)))
  })
await load(Math.min(2000, requests)) // warm-up: start-up and JIT stay out of the window below
const cpuBefore = cpuSeconds(tc.pid)
const loadStart = performance.now()
const result = await load(requests)
const loadEnd = performance.now()
const cpuUsPerRequest = ((cpuSeconds(tc.pid) - cpuBefore) * 1e6) / requests
await new Promise((r) => setTimeout(r, 300))
tc.kill('SIGTERM')
await new Promise((r) => tc.on('exit', r))
const exitAt = performance.now()
// Only samples taken while the measured load ran count (profiles end at exit).
const windowFromEndUs = [(exitAt - loadStart) * 1000, (exitAt - loadEnd) * 1000]

/** Self time per function of one .cpuprofile, in µs. */
function selfTimes(file) {
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8'))
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const byFunction = new Map()
  let total = 0
  let t = profile.startTime
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i])
    const dt = profile.timeDeltas[i] ?? 0
    t += dt
    const fromEnd = profile.endTime - t
    if (fromEnd > windowFromEndUs[0] || fromEnd < windowFromEndUs[1]) continue
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(dist|src)\//, '$1/')}:${lineNumber + 1}`
    // Waiting is not work: the event loop idle, a piscina worker parked for its next task.
    if (functionName === '(idle)' || functionName === 'atomicsWaitLoop') continue
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt)
    total += dt
  }
  return { byFunction, total }
}

console.log(`${requests} requests at ${opts.rate}/s through ${opts.dist} (${result.non2xx + result.errors} failed); sampled µs per request by thread`)
console.log(`process CPU time from /proc (all threads, user + system): ${cpuUsPerRequest.toFixed(1)} µs/request`)
console.log('(profile samples count on-CPU and in-syscall time; on an oversubscribed machine time spent descheduled inflates them)')
for (const file of readdirSync(profDir).sort()) {
  const { byFunction, total } = selfTimes(file)
  const thread = /\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? '?'
  console.log(`\n## thread ${thread} (${file}): ${(total / requests).toFixed(1)} µs/request busy`)
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(opts.top))
  for (const [name, us] of top) console.log(`${(us / requests).toFixed(2).padStart(7)} µs  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
}
children.forEach((c) => c.kill('SIGKILL'))
process.exit(0)
