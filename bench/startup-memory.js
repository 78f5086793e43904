#!/usr/bin/env node
// What each module costs at start-up in `tracecar proxy`: RSS and V8 heap after import.
//
//   node bench/startup-memory.js [--dist dist] [--runs 5] [--entry cli/proxy-command.js] [--no-start]
//                                [--node-arg <flag> ...]
//
// Walks the static import graph of the compiled entry (what `tracecar proxy` loads
// before it listens; dynamic import() is not followed, so what is loaded lazily is
// not counted), then, each in fresh processes and as the median of --runs:
//   alone:  one package imported into an empty process (its own cost, shared
//           dependencies included), minus an empty process;
//   ladder: all of them imported one after the other into one process, then the
//           project's own modules (the entry): what each step adds.
// Both are measured after a full GC (--expose-gc). Read the first row of each
// with care: whichever package loads first also pays about 4-5 MiB that is not
// its own, V8's optimizing compiler paging in for its first optimization (gone
// with --no-opt; a proxy under load pays it anyway). Then, unless --no-start, the
// real thing: `node [--node-arg ...] <dist>/cli/tracecar.js proxy` (what
// bin/tracecar.js runs), with the OTLP exporter and with --exporter none, VmRSS
// one second after it listens, before any request.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const self = fileURLToPath(import.meta.url)
const root = resolve(dirname(self), '..')

if (process.argv[2] === '--child') {
  // Child: import each specifier in turn, print memory after a full GC.
  const sample = () => {
    globalThis.gc()
    globalThis.gc()
    const m = process.memoryUsage()
    return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }
  }
  const steps = [{ step: '(empty)', ...sample() }]
  for (const specifier of process.argv.slice(3)) {
    await import(specifier)
    steps.push({ step: specifier, ...sample() })
  }
  process.stdout.write(JSON.stringify(steps))
  process.exit(0)
}

const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: 'dist' },
    runs: { type: 'string', default: '5' },
    entry: { type: 'string', default: 'cli/proxy-command.js' },
    'no-start': { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
})
const runs = Math.max(1, Number(values.runs))
const dist = resolve(root, values.dist)
const entry = resolve(dist, values.entry)
const shown = (path) => relative(dirname(dist), path)

/** Packages (bare specifiers) imported statically from `file` and everything it imports, in first-import order. */
function packagesOf(file) {
  const seen = new Set()
  const packages = new Map()
  const walk = (path) => {
    if (seen.has(path)) return
    seen.add(path)
    const text = readFileSync(path, 'utf8')
    for (const match of text.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const specifier = match[1]
      if (specifier.startsWith('.')) walk(resolve(dirname(path), specifier))
      else if (!specifier.startsWith('node:')) {
        if (!packages.has(specifier)) packages.set(specifier, new Set())
        packages.get(specifier).add(shown(path))
      }
    }
  }
  walk(file)
  return { packages, modules: seen.size }
}

function measure(specifiers) {
  const result = spawnSync(process.execPath, ['--expose-gc', self, '--child', ...specifiers], { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`child failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const mib = (bytes) => (bytes / 1048576).toFixed(1)

const { packages, modules } = packagesOf(entry)
const specifiers = [...packages.keys()]
const entryUrl = pathToFileURL(entry).href
process.stdout.write(`${shown(entry)}: ${modules} project modules, ${specifiers.length} packages; ${runs} run(s) each, medians\n\n`)

// Interleave: run r measures every row once, so a noisy moment hits all rows alike.
const alone = new Map(specifiers.map((s) => [s, []]))
const ladder = []
for (let r = 0; r < runs; r++) {
  for (const specifier of specifiers) {
    const [empty, loaded] = measure([specifier])
    alone.get(specifier).push({ rss: loaded.rss - empty.rss, heap: loaded.heapUsed - empty.heapUsed })
  }
  ladder.push(measure([...specifiers, entryUrl]))
}

const rows = [['module', 'imported by', 'alone: RSS MiB', 'alone: heap MiB', 'ladder: +RSS MiB', 'ladder: +heap MiB']]
const ladderDelta = (i, field) => median(ladder.map((steps) => steps[i][field] - steps[i - 1][field]))
specifiers.forEach((specifier, k) => {
  const a = alone.get(specifier)
  rows.push([
    specifier,
    [...packages.get(specifier)].join(', '),
    mib(median(a.map((x) => x.rss))),
    mib(median(a.map((x) => x.heap))),
    mib(ladderDelta(k + 1, 'rss')),
    mib(ladderDelta(k + 1, 'heapUsed')),
  ])
})
const last = specifiers.length + 1
rows.push([`project modules (${modules})`, shown(entry), '', '', mib(ladderDelta(last, 'rss')), mib(ladderDelta(last, 'heapUsed'))])
rows.push([
  'total over an empty process',
  '',
  '',
  '',
  mib(median(ladder.map((steps) => steps[last].rss - steps[0].rss))),
  mib(median(ladder.map((steps) => steps[last].heapUsed - steps[0].heapUsed))),
])
rows.push(['empty process', '', '', '', mib(median(ladder.map((steps) => steps[0].rss))), mib(median(ladder.map((steps) => steps[0].heapUsed)))])
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
for (const [i, row] of rows.entries()) {
  process.stdout.write(`| ${row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join(' | ')} |\n`)
  if (i === 0) process.stdout.write(`| ${widths.map((w, c) => (c >= 2 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |\n`)
}

if (!values['no-start']) {
  // The real start: an upstream that is never called, the proxy, VmRSS one second after it listens.
  const upstream = createServer((req, res) => res.end('ok'))
  await new Promise((done) => upstream.listen(0, '127.0.0.1', done))
  const base = [
    'proxy',
    '--upstream',
    `http://127.0.0.1:${upstream.address().port}`,
    '--listen-port',
    '0',
    '--admin-port',
    '0',
    '--outbound-port',
    '0',
    '--access-log-destination',
    '/dev/null',
  ]
  const variants = [
    ['otlp exporter (worker thread)', ['--otlp-endpoint', 'http://127.0.0.1:9/v1/traces']],
    ['--exporter none (no worker)', ['--exporter', 'none']],
  ]
  const start = async (flags) => {
    const child = spawn(process.execPath, [...values['node-arg'], resolve(dist, 'cli/tracecar.js'), ...base, ...flags], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    await new Promise((done, fail) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk
        if (stderr.includes('listening on')) done()
      })
      child.once('exit', (code) => fail(new Error(`proxy exited ${code}: ${stderr}`)))
    })
    await new Promise((done) => setTimeout(done, 1000))
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)[1])
    const sample = { rss: kib('VmRSS') * 1024, threads: kib('Threads') }
    child.kill('SIGKILL')
    await new Promise((done) => child.once('exit', done))
    return sample
  }
  const samples = variants.map(() => [])
  for (let r = 0; r < runs; r++) for (const [i, [, flags]] of variants.entries()) samples[i].push(await start(flags))
  upstream.close()
  const command = ['node', ...values['node-arg'], `${shown(dist)}/cli/tracecar.js`, 'proxy'].join(' ')
  process.stdout.write(`\n${command}: VmRSS 1 s after listening, before any request (median of ${runs}):\n`)
  for (const [i, [name]] of variants.entries()) {
    process.stdout.write(`  ${name.padEnd(32)} ${mib(median(samples[i].map((s) => s.rss)))} MiB (${samples[i][0].threads} threads)\n`)
  }
}
