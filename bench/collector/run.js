#!/usr/bin/env node
/**
 * Collector benchmark: ingest through a real OTLP client (the OpenTelemetry JS
 * OTLP/HTTP protobuf exporter) in batches of 512 spans, then query latency.
 *
 *   node bench/collector/run.js [--spans 1000000] [--concurrency 4] [--queries 200] [--sync full|normal] [--keep]
 *                               [--calls] [--scattered] [--only <query name part>] [--collector <built tracecar.js>]
 *                               [--store clickhouse://default@127.0.0.1:8123/tracecar_bench [--copies 10]]
 *
 * --calls: traces call across services (each CLIENT span of the root's service
 * is the parent of a SERVER span of another service), and the CLIENT spans
 * reach the collector one batch after their children, as when sidecars flush
 * at different times; without it a trace's spans are all of one service.
 * --scattered: each trace starts at a time spread over the last hour (a
 * backfill, or sidecars flushing late), so spans do not arrive in start
 * order; without it traces start as they are made, in time order.
 * --only: time only the queries whose name contains this text (e.g.
 * dependencies). --collector: run that built entry point (e.g. an older
 * build's dist/cli/tracecar.js) instead of the source, to compare builds.
 * --store: the collector's --store (default: the embedded SQLite store in the
 * temp data dir); a ClickHouse URL puts the spans there (use a database of its
 * own: the run does not empty it, and drops it at the end unless --keep). The
 * ingest starts once the server has had no merge running for 2 s (at most
 * 2 min; clickhouse-http.js says why). The CPU reported is the collector's
 * alone, not the ClickHouse server's. --copies N (ClickHouse only): after the ingest,
 * copy the stored spans N - 1 more times inside ClickHouse under new trace ids
 * (clickhouse-copies.js), so the queries run over N times the spans (e.g.
 * 10M for 1M ingested) without timing 10M through the collector.
 *
 * Reports spans stored per collector CPU-second (the collector's user+system
 * time from /proc/<pid>/stat over the ingest phase, so the load generator's
 * own CPU does not count), and p50/p99 over HTTP for trace-by-id and for
 * searches with that many spans stored. The collector runs as a child process
 * (`tracecar collector`, from source through tsx) on a fresh temp data dir.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { cpuSeconds, peakRssMiB } from '../proc-cpu.js'
import { BATCH, makeBatchSource, ROUTES, SERVICES } from './bench-spans.js'
import { copySpansInClickHouse } from './clickhouse-copies.js'
import { awaitNoMerges, dropDatabase } from './clickhouse-http.js'

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    concurrency: { type: 'string', default: '4' },
    queries: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
    sync: { type: 'string', default: 'full' },
    calls: { type: 'boolean', default: false },
    scattered: { type: 'boolean', default: false },
    only: { type: 'string' },
    collector: { type: 'string' },
    store: { type: 'string' },
    copies: { type: 'string', default: '1' },
  },
})
const TOTAL_SPANS = Number(args.spans)
const CONCURRENCY = Number(args.concurrency)
const QUERIES = Number(args.queries)
const COPIES = Number(args.copies)
if (!(Number.isInteger(COPIES) && COPIES >= 1)) throw new Error(`--copies ${args.copies}: give a whole number of at least 1`)
if (COPIES > 1 && args.store === undefined) throw new Error('--copies works on a ClickHouse --store only')

const root = fileURLToPath(new URL('../../', import.meta.url))
async function startCollector(dataDir) {
  const nodeArgs = (process.env.COLLECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ...(args.collector === undefined ? ['--import', 'tsx', 'src/cli/tracecar.ts'] : [args.collector]),
      'collector',
      '--data-dir',
      dataDir,
      '--otlp-http-port',
      '0',
      '--otlp-grpc-port',
      '0',
      '--http-port',
      '0',
      '--no-ui',
      '--sync',
      args.sync,
      ...(args.store === undefined ? [] : ['--store', args.store]),
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  const ports = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.includes('"listening"'))
      if (line) resolve(JSON.parse(line))
    })
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)))
  })
  return { child, ports }
}

function exportBatch(exporter, spans) {
  return new Promise((resolve, reject) => {
    exporter.export(spans, (result) => (result.code === 0 ? resolve() : reject(result.error ?? new Error('export failed'))))
  })
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function timeQueries(name, urls) {
  if (args.only !== undefined && !name.includes(args.only)) return undefined
  const times = []
  const serverTimes = []
  for (const url of urls) {
    const t0 = performance.now()
    const res = await fetch(url)
    const body = await res.text()
    times.push(performance.now() - t0)
    if (res.status !== 200) throw new Error(`${name}: ${url} answered ${res.status}: ${body.slice(0, 200)}`)
    // The collector's own share: from request to response written (Server-Timing app;dur=).
    const dur = /dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')
    if (dur) serverTimes.push(Number(dur[1]))
  }
  times.sort((a, b) => a - b)
  serverTimes.sort((a, b) => a - b)
  return {
    name,
    n: times.length,
    clientP50Ms: +percentile(times, 50).toFixed(2),
    clientP99Ms: +percentile(times, 99).toFixed(2),
    serverP50Ms: +percentile(serverTimes, 50).toFixed(2),
    serverP99Ms: +percentile(serverTimes, 99).toFixed(2),
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-bench-collector-'))
const { child, ports } = await startCollector(dataDir)
const otlp = `http://127.0.0.1:${ports.otlpHttpPort}`
const api = `http://127.0.0.1:${ports.httpPort}`
try {
  const exporter = new OTLPTraceExporter({ url: `${otlp}/v1/traces`, concurrencyLimit: CONCURRENCY * 2, timeoutMillis: 60_000 })
  const source = makeBatchSource({ calls: args.calls, scattered: args.scattered })
  const batches = Math.ceil(TOTAL_SPANS / BATCH)
  const clickHouseWait = args.store === undefined ? undefined : await awaitNoMerges(args.store)
  if (clickHouseWait !== undefined) {
    const { waitedSeconds, quiet } = clickHouseWait
    process.stderr.write(`  ClickHouse ${quiet ? 'quiet' : 'still merging'} after ${waitedSeconds.toFixed(1)} s\n`)
  }
  // Encode-side work (span creation) is done ahead per request, so the collector is kept busy.
  const cpuBefore = cpuSeconds(child.pid)
  const wallStart = performance.now()
  let sent = 0
  let nextReport = 100_000
  const inflight = new Set()
  for (let b = 0; b < batches; b++) {
    const p = exportBatch(exporter, source.nextBatch()).then(() => inflight.delete(p))
    inflight.add(p)
    sent += BATCH
    if (inflight.size >= CONCURRENCY) await Promise.race(inflight)
    if (sent >= nextReport) {
      nextReport += 100_000
      process.stderr.write(
        `  ${sent} spans sent, collector CPU ${(cpuSeconds(child.pid) - cpuBefore).toFixed(1)} s, wall ${((performance.now() - wallStart) / 1000).toFixed(1)} s\n`,
      )
    }
  }
  await Promise.all(inflight)
  const wallS = (performance.now() - wallStart) / 1000
  const cpuS = cpuSeconds(child.pid) - cpuBefore
  const peakRss = peakRssMiB(child.pid)
  await exporter.shutdown()
  const spansQueried = COPIES > 1 ? await copySpansInClickHouse(args.store, COPIES) : batches * BATCH

  const dbBytes = ['tracecar.db', 'tracecar.db-wal'].reduce((sum, f) => {
    try {
      return sum + statSync(join(dataDir, f)).size
    } catch {
      return sum
    }
  }, 0)
  const ids = source.knownTraceIds
  const pick = (i) => ids[(i * 7919) % ids.length]
  const now = Date.now()
  const results = [
    await timeQueries(
      'trace by id',
      Array.from({ length: QUERIES }, (_, i) => `${api}/api/traces/${pick(i)}`),
    ),
    await timeQueries(
      'search: service, limit 20',
      Array.from({ length: QUERIES }, (_, i) => `${api}/api/traces?service=${SERVICES[i % SERVICES.length]}&limit=20`),
    ),
    await timeQueries(
      'search: service + operation + last 1h',
      Array.from(
        { length: QUERIES },
        (_, i) =>
          `${api}/api/traces?service=${SERVICES[i % SERVICES.length]}&operation=${encodeURIComponent(ROUTES[i % ROUTES.length])}&start=${now - 3_600_000}&end=${now}&limit=20`,
      ),
    ),
    await timeQueries(
      'search: service + error=true',
      Array.from({ length: QUERIES }, (_, i) => `${api}/api/traces?service=${SERVICES[i % SERVICES.length]}&error=true&limit=20`),
    ),
    await timeQueries(
      'search: service + attr customer.tier=gold',
      Array.from({ length: QUERIES }, (_, i) => `${api}/api/traces?service=${SERVICES[i % SERVICES.length]}&attr=customer.tier=gold&limit=20`),
    ),
    await timeQueries(
      'search: service + attr matching nothing (worst case; 1 s budget)',
      Array.from(
        { length: Math.min(QUERIES, 20) },
        (_, i) => `${api}/api/traces?service=${SERVICES[i % SERVICES.length]}&attr=customer.tier=platinum&limit=20`,
      ),
    ),
    await timeQueries(
      'search: operation matching nothing, no service',
      Array.from({ length: Math.min(QUERIES, 20) }, () => `${api}/api/traces?operation=${encodeURIComponent('GET /nowhere')}&limit=20`),
    ),
    await timeQueries(
      'search: service + minDurationMs=0.05',
      Array.from({ length: QUERIES }, (_, i) => `${api}/api/traces?service=${SERVICES[i % SERVICES.length]}&minDurationMs=0.05&limit=20`),
    ),
    // Jaeger's tag search: the tags must hold on the span of that service (Grafana's Jaeger data source).
    await timeQueries(
      'jaeger: service + tags error=true',
      Array.from(
        { length: QUERIES },
        (_, i) => `${api}/api/jaeger/api/traces?service=${SERVICES[i % SERVICES.length]}&tags=${encodeURIComponent('{"error":"true"}')}&limit=20`,
      ),
    ),
    await timeQueries(
      'jaeger: service + tags customer.tier=gold',
      Array.from(
        { length: QUERIES },
        (_, i) => `${api}/api/jaeger/api/traces?service=${SERVICES[i % SERVICES.length]}&tags=${encodeURIComponent('{"customer.tier":"gold"}')}&limit=20`,
      ),
    ),
    await timeQueries(
      'dependencies: last hour',
      Array.from({ length: QUERIES }, () => `${api}/api/dependencies?start=${now - 3_600_000}&end=${now}`),
    ),
    await timeQueries(
      'jaeger: service + tag matching nothing (worst case; 1 s budget)',
      Array.from(
        { length: Math.min(QUERIES, 20) },
        (_, i) => `${api}/api/jaeger/api/traces?service=${SERVICES[i % SERVICES.length]}&tags=${encodeURIComponent('{"customer.tier":"platinum"}')}&limit=20`,
      ),
    ),
  ]
  const report = {
    spansStored: batches * BATCH,
    batchSize: BATCH,
    store: args.store === undefined ? 'sqlite' : args.store.replace(/\/\/[^@/]*@/, '//'),
    arrival: args.scattered ? 'scattered over the hour' : 'in time order',
    concurrency: CONCURRENCY,
    clickHouseQuietBeforeIngest: clickHouseWait === undefined ? null : clickHouseWait.quiet,
    ingestWallSeconds: +wallS.toFixed(1),
    collectorCpuSeconds: +cpuS.toFixed(1),
    spansPerCollectorCpuSecond: Math.round((batches * BATCH) / cpuS),
    spansPerWallSecond: Math.round((batches * BATCH) / wallS),
    collectorPeakRssMiB: Math.round(peakRss),
    spansQueried,
    // The SQLite file's size; a ClickHouse store's is on its server.
    databaseBytes: args.store === undefined ? dbBytes : null,
    bytesPerSpan: args.store === undefined ? Math.round(dbBytes / (batches * BATCH)) : null,
    queries: results.filter((r) => r !== undefined),
  }
  console.log(JSON.stringify(report, null, 2))
} finally {
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  if (!args.keep) {
    rmSync(dataDir, { recursive: true, force: true })
    if (args.store !== undefined) await dropDatabase(args.store)
  } else process.stderr.write(`data kept in ${dataDir}${args.store === undefined ? '' : ' and the ClickHouse database'}\n`)
}
