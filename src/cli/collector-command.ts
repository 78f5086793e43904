import { stopOnSignals } from './stop-on-signals.js'
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import type { CollectorOptions } from '../collector/index.js'
import type { Observability } from '../collector/collector.js'
import { parseByteSize } from '../units/byte-size.js'
import { parseDuration } from '../units/duration.js'
import { CLICKHOUSE_URL_EXAMPLE, isClickHouseStore, parseClickHouseUrl } from '../collector/store/clickhouse/clickhouse-url.js'
import { OBSERVABILITY_FLAG_SPECS, OBSERVABILITY_HELP, parseObservabilityFlags } from '../collector/observability-flags.js'

/**
 * `tracecar collector`: the OTLP receivers, the store (embedded SQLite, or a
 * shared ClickHouse) and the query API/UI in one process. Prints one JSON line when listening (scripts and
 * tests read the ports from it); SIGTERM/SIGINT stop listening, finish
 * in-flight writes, close the database and exit 0.
 */

const HELP = `usage: tracecar collector [options]

Receives OTLP traces and logs, stores them in SQLite, serves the query API and UI.

  --store <sqlite|url>      where data is kept: sqlite (default, a file in --data-dir), or a ClickHouse that
                            several collectors share: clickhouse://user:password@host:8123/database
                            (docs/scale-out.md)
  --data-dir <dir>          folder of the database file tracecar.db (default ./data)
  --host <addr>             listen address of all listeners (default 127.0.0.1; 0.0.0.0 to open)
  --allowed-hosts <names>   host names the API and UI answer to, comma-separated (repeatable), besides IP
                            addresses, localhost and --host; others get 403 (DNS rebinding guard). Name the
                            collector's DNS name here (a Kubernetes Service, Grafana's data source URL), or
                            use any behind a reverse proxy that checks Host itself
  --otlp-http-port <port>   OTLP/HTTP /v1/traces, /v1/logs (default 4318; 0 = any free port)
  --otlp-grpc-port <port>   OTLP/gRPC (default 4317; 0 = any free port)
  --http-port <port>        query API (/api) and UI (default 16686; 0 = any free port)
  --retention <age>         delete data older than this, e.g. 72h, 7d, 30m (default: keep)
  --max-db-size <size>      delete the oldest data beyond this size, e.g. 2GiB, 500MB (default: no limit)
  --retention-interval <d>  how often retention runs (default 60s)
  --max-body-bytes <size>   largest OTLP request body or gRPC message (default 16MiB)
  --sync <full|normal>      full (default): a batch is acknowledged once fsynced, safe against power loss;
                            normal: safe against kill -9 and crashes, not power loss; less CPU per batch
  --forward-endpoint <url>  also send everything received to this OTLP/HTTP receiver (http://host:4318)
  --forward-header <k=v>    header for forwarded requests (repeatable), e.g. authorization=Bearer x
  --ui-dir <dir>            serve the UI from this folder (default: dist/ui of the package, if built)
  --no-ui                   serve no UI, only the API
${OBSERVABILITY_HELP}  -h, --help                this text

On start it prints {"event":"listening","otlpHttpPort":N,"otlpGrpcPort":N,"httpPort":N} to stdout.
`

export class CollectorFlagError extends Error {}

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n > 65535) throw new CollectorFlagError(`--${name}: ${JSON.stringify(raw)} is not a port; use 0 to 65535`)
  return n
}

function durationFlag(name: string, raw: string): number {
  const result = parseDuration(raw, { positive: true })
  if (!result.ok) throw new CollectorFlagError(`--${name}: ${JSON.stringify(raw)} is not a duration; ${result.problem}`)
  return result.ms
}

function byteSizeFlag(name: string, raw: string): number {
  const result = parseByteSize(raw)
  if (!result.ok) throw new CollectorFlagError(`--${name}: ${JSON.stringify(raw)} is not a size; ${result.problem}`)
  return result.bytes
}

export function parseCollectorFlags(argv: string[]): CollectorOptions | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        store: { type: 'string' },
        'data-dir': { type: 'string' },
        host: { type: 'string' },
        'allowed-hosts': { type: 'string', multiple: true },
        'otlp-http-port': { type: 'string' },
        'otlp-grpc-port': { type: 'string' },
        'http-port': { type: 'string' },
        retention: { type: 'string' },
        'max-db-size': { type: 'string' },
        'retention-interval': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        sync: { type: 'string' },
        'forward-endpoint': { type: 'string' },
        'forward-header': { type: 'string', multiple: true },
        'ui-dir': { type: 'string' },
        'no-ui': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...OBSERVABILITY_FLAG_SPECS,
      },
    })
  } catch (err) {
    throw new CollectorFlagError(`${(err as Error).message} (tracecar collector --help lists the options)`)
  }
  const v = parsed.values
  if (v.help === true) return 'help'
  const options: CollectorOptions = {
    dataDir: resolve(v['data-dir'] ?? './data'),
    host: v.host ?? '127.0.0.1',
    otlpHttpPort: port('otlp-http-port', v['otlp-http-port'], 4318),
    otlpGrpcPort: port('otlp-grpc-port', v['otlp-grpc-port'], 4317),
    httpPort: port('http-port', v['http-port'], 16686),
  }
  if (v.store !== undefined) {
    if (v.store !== 'sqlite' && !isClickHouseStore(v.store)) {
      throw new CollectorFlagError(`--store: ${JSON.stringify(v.store)} is not allowed; use sqlite or a ClickHouse URL such as ${CLICKHOUSE_URL_EXAMPLE}`)
    }
    try {
      if (v.store !== 'sqlite') parseClickHouseUrl(v.store)
    } catch (err) {
      throw new CollectorFlagError((err as Error).message)
    }
    options.store = v.store
  }
  if (options.host === '') throw new CollectorFlagError('--host: must not be empty; use 127.0.0.1 or 0.0.0.0')
  if (v['allowed-hosts'] !== undefined) {
    const names = v['allowed-hosts'].flatMap((list) => list.split(',')).map((name) => name.trim()).filter((name) => name !== '')
    if (names.includes('any')) options.allowedHosts = 'any'
    else if (names.length === 0) throw new CollectorFlagError('--allowed-hosts: list host names (grafana.example.com,tracecar-collector) or any')
    else options.allowedHosts = names
  }
  const retention: NonNullable<CollectorOptions['retention']> = {}
  if (v.retention !== undefined) retention.maxAgeMs = durationFlag('retention', v.retention)
  if (v['max-db-size'] !== undefined) retention.maxBytes = byteSizeFlag('max-db-size', v['max-db-size'])
  if (v['retention-interval'] !== undefined) retention.intervalMs = durationFlag('retention-interval', v['retention-interval'])
  options.retention = retention
  if (v['max-body-bytes'] !== undefined) options.maxBodyBytes = byteSizeFlag('max-body-bytes', v['max-body-bytes'])
  if (v.sync !== undefined) {
    if (v.sync !== 'full' && v.sync !== 'normal') throw new CollectorFlagError(`--sync: ${JSON.stringify(v.sync)} is not allowed; use full or normal`)
    options.synchronous = v.sync
  }
  const headers: Record<string, string> = {}
  for (const raw of v['forward-header'] ?? []) {
    const eq = raw.indexOf('=')
    if (eq <= 0) throw new CollectorFlagError(`--forward-header: ${JSON.stringify(raw)} must be name=value`)
    headers[raw.slice(0, eq).trim()] = raw.slice(eq + 1)
  }
  if (v['forward-endpoint'] !== undefined) {
    let url: URL
    try {
      url = new URL(v['forward-endpoint'])
    } catch {
      throw new CollectorFlagError(`--forward-endpoint: ${JSON.stringify(v['forward-endpoint'])} is not a URL; use http://host:4318`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CollectorFlagError(`--forward-endpoint: must be http:// or https://, got ${url.protocol}`)
    options.forward = { endpoint: url.href, headers }
  } else if (Object.keys(headers).length > 0) {
    throw new CollectorFlagError('--forward-header needs --forward-endpoint')
  }
  if (v['no-ui'] === true) options.uiDir = null
  else if (v['ui-dir'] !== undefined) options.uiDir = resolve(v['ui-dir'])
  return options
}

export async function runCollectorCommand(argv: string[]): Promise<void> {
  let options: CollectorOptions | 'help'
  try {
    options = parseCollectorFlags(argv)
  } catch (err) {
    if (err instanceof CollectorFlagError) {
      process.stderr.write(`tracecar collector: ${err.message}\n`)
      process.exitCode = 2
      return
    }
    throw err
  }
  if (options === 'help') {
    process.stdout.write(HELP)
    return
  }
  const log = (line: string): void => {
    process.stderr.write(`tracecar collector: ${line}\n`)
  }
  // Loaded here so that `--help` and flag errors do not open a store or gRPC.
  const { checkObservability, startCollector } = await import('../collector/index.js')
  // Logs ingest, RED metrics and alerts (docs/logs-metrics-alerts.md); a bad rules file stops here.
  let observability: Observability
  try {
    observability = checkObservability(parseObservabilityFlags(argv, resolve))
  } catch (err) {
    process.stderr.write(`tracecar collector: ${(err as Error).message}\n`)
    process.exitCode = 2
    return
  }
  let collector
  try {
    collector = await startCollector({ ...options, log, observability })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const hint = e.code === 'EADDRINUSE' ? ' (another process uses that port; pick another with the --*-port flags, or 0)' : ''
    log(`cannot start: ${e.message}${hint}`)
    process.exitCode = 1
    return
  }
  const { ports } = collector
  process.stdout.write(`${JSON.stringify({ event: 'listening', otlpHttpPort: ports.otlpHttp, otlpGrpcPort: ports.otlpGrpc, httpPort: ports.http })}\n`)
  log(
    `OTLP/HTTP on ${options.host}:${ports.otlpHttp}, OTLP/gRPC on ${options.host}:${ports.otlpGrpc}, API and UI on http://${options.host}:${ports.http}/; data in ${collector.store.description}`,
  )

  const running = collector
  stopOnSignals(log, {
    announce: (signal) => `${signal}: finishing in-flight requests and closing the database`,
    close: async () => {
      await running.close()
      return `stopped: ${running.pipeline.spansStored} spans and ${running.pipeline.logsStored} log records stored by this run`
    },
  })
}
