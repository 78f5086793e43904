import { stopOnSignals } from './stop-on-signals.js'
import type { CollectorOptions } from '../collector/index.js'
import type { Observability, ObservabilityOptions } from '../collector/collector.js'
import { commandSettings } from './command-settings.js'
import { isHelpRequested } from '../config/flag-source.js'
import type { Environment } from '../config/env-source.js'
import { collectorHelpText, loadCollectorConfig } from '../config/load-collector-config.js'
import { CLICKHOUSE_URL_EXAMPLE, isClickHouseStore, parseClickHouseUrl } from '../collector/store/clickhouse/clickhouse-url.js'

/**
 * `tracecar collector`: the OTLP receivers, the store (embedded SQLite, or a
 * shared ClickHouse) and the query API/UI in one process. Its settings (flags, TRACECAR_COLLECTOR_* variables,
 * a YAML file) are src/config/collector-schema.ts. Prints one JSON line when
 * listening (scripts and tests read the ports from it); SIGTERM/SIGINT stop
 * listening, finish in-flight writes, close the database and exit 0.
 */

export interface CollectorCommandConfig {
  options: CollectorOptions
  /** Logs ingest, RED metrics and alerts; checked (the rules file read) by checkObservability. */
  observability: ObservabilityOptions
}

/** The collector's options from its arguments and environment; throws ConfigError (one line) for a bad value. */
export function loadCollectorCommandConfig(argv: readonly string[], env: Environment = {}, cwd?: string): CollectorCommandConfig {
  const config = loadCollectorConfig({ argv, env, cwd }, { store: storeProblem })
  const options: CollectorOptions = {
    store: config.store,
    dataDir: config.dataDir,
    host: config.host,
    otlpHttpPort: config.otlpHttpPort,
    otlpGrpcPort: config.otlpGrpcPort,
    httpPort: config.httpPort,
    maxBodyBytes: config.maxBodyBytes,
    synchronous: config.sync,
    retention: { maxAgeMs: config['retention.maxAge'], maxBytes: config['retention.maxSize'], intervalMs: config['retention.interval'] },
  }
  if (config.allowedHosts !== undefined) options.allowedHosts = config.allowedHosts
  if (config['forward.endpoint'] !== undefined) options.forward = { endpoint: config['forward.endpoint'], headers: config['forward.headers'] }
  if (!config['ui.enabled']) options.uiDir = null
  else if (config['ui.dir'] !== undefined) options.uiDir = config['ui.dir']
  const observability: ObservabilityOptions = {
    alertWebhookUrls: config['alerts.webhooks'],
    alertmanagerUrls: config['alerts.alertmanagerUrls'],
    logTraceIdFields: config['logs.traceIdFields'],
    logTraceIdPatterns: config['logs.traceIdPatterns'],
  }
  if (config['alerts.rules'] !== undefined) observability.alertRulesPath = config['alerts.rules']
  if (config['alerts.uiBaseUrl'] !== undefined) observability.uiBaseUrl = config['alerts.uiBaseUrl']
  if (config['alerts.evaluationInterval'] !== undefined) observability.evaluationIntervalMs = config['alerts.evaluationInterval']
  return { options, observability }
}

/** `sqlite`, or a ClickHouse URL the store can use; its problem otherwise. */
function storeProblem(store: string): string | undefined {
  if (store === 'sqlite') return undefined
  if (!isClickHouseStore(store)) return `expected sqlite or a ClickHouse URL such as ${CLICKHOUSE_URL_EXAMPLE}`
  try {
    parseClickHouseUrl(store)
    return undefined
  } catch (err) {
    // Its message names the flag and the value, which the config error already does.
    const message = (err as Error).message
    const prefix = `--store ${JSON.stringify(store)}: `
    return message.startsWith(prefix) ? message.slice(prefix.length) : message
  }
}

/** The collector's options from flags alone (the demo runs the real collector with them), or 'help'. */
export function parseCollectorFlags(argv: readonly string[]): CollectorOptions | 'help' {
  return isHelpRequested(argv) ? 'help' : loadCollectorCommandConfig(argv).options
}

export async function runCollectorCommand(argv: string[]): Promise<void> {
  const loaded = commandSettings(argv, collectorHelpText, () => loadCollectorCommandConfig(argv, process.env))
  if (loaded === undefined) return
  const { options } = loaded
  const log = (line: string): void => {
    process.stderr.write(`tracecar collector: ${line}\n`)
  }
  // Loaded here so that `--help` and flag errors do not open a store or gRPC.
  const { checkObservability, startCollector } = await import('../collector/index.js')
  // Logs ingest, RED metrics and alerts (docs/logs-metrics-alerts.md); a bad rules file stops here.
  let observability: Observability
  try {
    observability = checkObservability(loaded.observability)
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
