/**
 * startCollector: opens the store, starts the OTLP/HTTP and OTLP/gRPC
 * receivers and the API/UI server, runs retention and forwarding, and
 * closes it all in order (stop listening, finish in-flight writes, close
 * the database). With `observability` it also serves logs ingest (Loki push,
 * raw lines), RED metrics from spans and alert rules
 * (docs/logs-metrics-alerts.md).
 */
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AlertEngine } from './alerts/alert-engine.js'
import type { AlertNotifier } from './alerts/alert-notifiers.js'
import { AlertmanagerNotifier, WebhookNotifier } from './alerts/alert-notifiers.js'
import type { AlertRule } from './alerts/alert-rule.js'
import { loadAlertRulesFile } from './alerts/alert-rules-file.js'
import { alertsRoutes } from './alerts/alerts-routes.js'
import { startApiServer } from './api/api-server.js'
import { logIngestRoutes } from './logs-ingest/log-ingest-routes.js'
import { createTraceIdDerivation } from './logs-ingest/trace-id-derivation.js'
import type { TraceIdDerivation } from './logs-ingest/trace-id-derivation.js'
import { RedMetrics } from './metrics/red-metrics.js'
import type { CollectorRoute } from './http/route.js'
import type { AllowedHosts } from './http/allowed-hosts.js'
import type { TraceIdPattern } from './logs/trace-id-in-text.js'
import { IngestPipeline } from './receivers/ingest-pipeline.js'
import type { IngestListener, IngestTee } from './receivers/ingest-pipeline.js'
import { startOtlpGrpcReceiver } from './receivers/otlp-grpc-receiver.js'
import { startOtlpHttpReceiver } from './receivers/otlp-http-receiver.js'
import { RetentionWorker } from './retention/retention-worker.js'
import type { RetentionOptions } from './retention/retention-worker.js'
import { openSqliteStorage } from './store/sqlite/sqlite-storage.js'
import type { TraceStorage } from './store/store-roles.js'
import { isClickHouseStore, CLICKHOUSE_URL_EXAMPLE } from './store/clickhouse/clickhouse-url.js'
import { OtlpForwarder } from './forward/otlp-forwarder.js'
import type { ForwardOptions } from './forward/otlp-forwarder.js'

export interface ObservabilityOptions {
  /** YAML alert rules (config/alerts.yaml); none when undefined. */
  alertRulesPath?: string
  alertWebhookUrls?: readonly string[]
  /** Alertmanager base URLs (http://host:9093); alerts go to <url>/api/v2/alerts. */
  alertmanagerUrls?: readonly string[]
  /** Base of the links in notifications; default http://<host>:<http port>. */
  uiBaseUrl?: string
  /** Overrides the rules file's evaluationInterval (default 15 s). */
  evaluationIntervalMs?: number
  /** How often firing alerts are re-sent to Alertmanager (default 60 s). */
  resendIntervalMs?: number
  /** Rollup retention by resolution (10000, 60000) in ms. */
  rollupRetentionMs?: Partial<Record<number, number>>
  /** Extra structured fields holding trace ids (`name`, or `name:decimal`). */
  logTraceIdFields?: readonly string[]
  /** Extra regular expressions finding trace ids in log text (named group traceId, or group 1). */
  logTraceIdPatterns?: readonly string[]
  /** Largest body of the log endpoints (default 16 MiB). */
  maxBodyBytes?: number
}

/** ObservabilityOptions checked, with the rules file read: what startCollector wires. */
export interface Observability {
  options: ObservabilityOptions
  rules: readonly AlertRule[]
  evaluationIntervalMs: number
  resendIntervalMs: number
  webhookUrls: readonly string[]
  alertmanagerUrls: readonly string[]
  derivation: TraceIdDerivation
}

export const DEFAULT_EVALUATION_INTERVAL_MS = 15_000

function checkUrl(what: string, raw: string, example: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`${what}: ${JSON.stringify(raw)} is not a URL; give e.g. ${example}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${what}: ${JSON.stringify(raw)} must be http:// or https://`)
  return url.href
}

/**
 * Reads the rules file and checks the URLs and patterns, so that a bad one
 * stops the command before anything starts, with a message naming the rule
 * and the key. Throws AlertRulesError, or Error for a bad URL or pattern.
 */
export function checkObservability(options: ObservabilityOptions = {}): Observability {
  const rulesFile =
    options.alertRulesPath === undefined ? { rules: [] as AlertRule[], evaluationIntervalMs: undefined } : loadAlertRulesFile(options.alertRulesPath)
  const derivation = createTraceIdDerivation({ traceIdFields: options.logTraceIdFields, textPatterns: options.logTraceIdPatterns })
  const webhookUrls = (options.alertWebhookUrls ?? []).map((u) => checkUrl('--alert-webhook', u, 'http://127.0.0.1:8080/alerts'))
  const alertmanagerUrls = (options.alertmanagerUrls ?? []).map((u) => checkUrl('--alertmanager-url', u, 'http://127.0.0.1:9093'))
  const uiBaseUrl = options.uiBaseUrl === undefined ? undefined : checkUrl('--ui-base-url', options.uiBaseUrl, 'https://tracecar.example.com')
  const evaluationIntervalMs = options.evaluationIntervalMs ?? rulesFile.evaluationIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS
  return {
    options: { ...options, uiBaseUrl },
    rules: rulesFile.rules,
    evaluationIntervalMs,
    resendIntervalMs: Math.max(evaluationIntervalMs, options.resendIntervalMs ?? 60_000),
    webhookUrls,
    alertmanagerUrls,
    derivation,
  }
}

export interface CollectorOptions {
  /**
   * Where spans, logs and rollups are kept: 'sqlite' (default, the file
   * `tracecar.db` in `dataDir`) or a ClickHouse URL
   * (clickhouse://user:password@host:8123/database) that several collectors share.
   */
  store?: string
  /** Folder of the SQLite file `tracecar.db` (default ./data). */
  dataDir?: string
  /** SQLite commit durability (see SqliteTraceStoreOptions.synchronous); default 'full'. */
  synchronous?: 'full' | 'normal'
  /** Listen address of all three listeners (default 127.0.0.1). */
  host?: string
  /**
   * Host names the API and UI answer to besides IP addresses, localhost and
   * `host` (DNS rebinding guard); 'any' turns the check off (behind a reverse
   * proxy that checks Host itself).
   */
  allowedHosts?: AllowedHosts
  /** Ports; 0 picks a free one (default 4318, 4317, 16686). */
  otlpHttpPort?: number
  otlpGrpcPort?: number
  httpPort?: number
  /** Largest request body (compressed or not) / gRPC message, bytes (default 16 MiB). */
  maxBodyBytes?: number
  /** Bodies being read at once before 429 (default 64 MiB). */
  maxInflightBytes?: number
  retention?: RetentionOptions
  forward?: ForwardOptions
  ingestListeners?: IngestListener[]
  /** Full paths (`/api/...`, `/metrics`) on the :16686 server, matched before the built-in routes. */
  apiRoutes?: CollectorRoute[]
  /** Full paths on the :4318 server, matched before /v1/traces and /v1/logs. */
  ingestRoutes?: CollectorRoute[]
  /** Logs ingest, RED metrics and alerts, from checkObservability; none when undefined. */
  observability?: Observability
  /** Static UI files; default dist/ui of the package when it exists; null for none. */
  uiDir?: string | null
  traceIdPatterns?: TraceIdPattern[]
  log?: (line: string) => void
}

export interface Collector {
  ports: { otlpHttp: number; otlpGrpc: number; http: number }
  /** The store's roles (SQLite by default). */
  store: TraceStorage
  pipeline: IngestPipeline
  retention: RetentionWorker
  forwarder: OtlpForwarder | undefined
  /** RED metrics, with `observability`. */
  red: RedMetrics | undefined
  /** The alert rules' engine, with `observability` and at least one rule. */
  alerts: AlertEngine | undefined
  close(): Promise<void>
}

export const DEFAULTS = {
  dataDir: './data',
  host: '127.0.0.1',
  otlpHttpPort: 4318,
  otlpGrpcPort: 4317,
  httpPort: 16686,
  maxBodyBytes: 16 * 1024 * 1024,
  maxInflightBytes: 64 * 1024 * 1024,
} as const

export const DATABASE_FILE = 'tracecar.db'

/** dist/ui beside the package root: two levels above this file, from src/ or from dist/. */
export function defaultUiDir(): string | undefined {
  const dir = fileURLToPath(new URL('../../dist/ui/', import.meta.url))
  try {
    return existsSync(join(dir, 'index.html')) && statSync(dir).isDirectory() ? dir : undefined
  } catch {
    return undefined
  }
}

/** The store `options.store` names; a bad name or an unreachable ClickHouse throws, naming it. */
async function openStorage(options: CollectorOptions, log: (line: string) => void): Promise<TraceStorage> {
  const name = options.store ?? 'sqlite'
  if (name === 'sqlite') return openSqliteStorage({ path: resolve(options.dataDir ?? DEFAULTS.dataDir, DATABASE_FILE), synchronous: options.synchronous, log })
  if (!isClickHouseStore(name))
    throw new Error(`--store ${JSON.stringify(name)}: use sqlite (the default) or a ClickHouse URL such as ${CLICKHOUSE_URL_EXAMPLE}`)
  if (options.retention?.maxBytes !== undefined) {
    throw new Error(
      "--max-db-size applies to the embedded SQLite store; with ClickHouse, retention is by age (--retention) and the disk is ClickHouse's to watch",
    )
  }
  // Loaded on demand: the embedded default does not load the ClickHouse client.
  const { openClickHouseStorage } = await import('./store/clickhouse/clickhouse-storage.js')
  return openClickHouseStorage({ url: name, maxAgeMs: options.retention?.maxAgeMs, log })
}

export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const log = options.log ?? ((line: string) => process.stderr.write(`tracecar collector: ${line}\n`))
  const host = options.host ?? DEFAULTS.host
  const store = await openStorage(options, log)
  const closers: Array<() => Promise<void>> = []
  try {
    const observability = options.observability
    const red = observability === undefined ? undefined : new RedMetrics({ store: store.redRollups, retentionMs: observability.options.rollupRetentionMs, log })
    // Known once :16686 listens (its port may be 0 until then).
    let uiBaseUrl = observability?.options.uiBaseUrl ?? 'http://127.0.0.1:16686'
    const alerts =
      red === undefined || observability === undefined || observability.rules.length === 0
        ? undefined
        : new AlertEngine({
            rules: observability.rules,
            rollups: red.store,
            flushRollups: () => red.flush(),
            evaluationIntervalMs: observability.evaluationIntervalMs,
            resendIntervalMs: observability.resendIntervalMs,
            notifiers: [
              ...observability.webhookUrls.map((u): AlertNotifier => new WebhookNotifier(u)),
              ...observability.alertmanagerUrls.map((u): AlertNotifier => new AlertmanagerNotifier(u, 4 * observability.resendIntervalMs)),
            ],
            uiBaseUrl: () => uiBaseUrl,
            log,
          })
    const forwarder = options.forward === undefined ? undefined : new OtlpForwarder(options.forward, log)
    const tee: IngestTee | undefined = forwarder
    const pipeline = new IngestPipeline({
      spanWriter: store.spanWriter,
      logWriter: store.logWriter,
      listeners: [...(options.ingestListeners ?? []), ...(red === undefined ? [] : [red])],
      tee,
      // Configured log patterns also apply to OTLP log bodies (group 1 is the id there).
      traceIdPatterns: [...(options.traceIdPatterns ?? []), ...(observability?.options.logTraceIdPatterns ?? []).map((source) => new RegExp(source))],
      log,
    })
    const logRoutes =
      observability === undefined
        ? []
        : logIngestRoutes({ sink: () => pipeline, derivation: observability.derivation, maxBodyBytes: observability.options.maxBodyBytes ?? 16 * 1024 * 1024 })
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes
    const http = await startOtlpHttpReceiver({
      host,
      port: options.otlpHttpPort ?? DEFAULTS.otlpHttpPort,
      pipeline,
      maxBodyBytes,
      maxInflightBytes: options.maxInflightBytes ?? DEFAULTS.maxInflightBytes,
      routes: [...(options.ingestRoutes ?? []), ...logRoutes],
      log,
    })
    closers.push(() => http.close())
    const grpc = await startOtlpGrpcReceiver({ host, port: options.otlpGrpcPort ?? DEFAULTS.otlpGrpcPort, pipeline, maxMessageBytes: maxBodyBytes, log })
    closers.push(() => grpc.close())
    const api = await startApiServer({
      host,
      port: options.httpPort ?? DEFAULTS.httpPort,
      stores: { spans: store.spanReader, logs: store.logReader, dependencies: store.dependencyReader },
      routes: [...(options.apiRoutes ?? []), ...(red === undefined ? [] : [...red.routes, ...alertsRoutes(alerts)])],
      uiDir: options.uiDir === null ? undefined : (options.uiDir ?? defaultUiDir()),
      allowedHosts: options.allowedHosts,
      log,
    })
    closers.push(() => api.close())
    const retention = new RetentionWorker(store.retention, options.retention ?? {}, log)
    retention.start()
    if (observability !== undefined) {
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
      uiBaseUrl = observability.options.uiBaseUrl ?? `http://${reachable}:${api.port}`
      red?.start()
      if (alerts !== undefined) {
        alerts.start()
        const targets = [...observability.webhookUrls.map((u) => `webhook ${u}`), ...observability.alertmanagerUrls.map((u) => `Alertmanager ${u}`)]
        log(
          `${observability.rules.length} alert rule(s) from ${observability.options.alertRulesPath}, evaluated every ${observability.evaluationIntervalMs} ms; ` +
            (targets.length > 0 ? `notifying ${targets.join(', ')}` : 'no --alert-webhook or --alertmanager-url: states only in /api/alerts') +
            `; trace links on ${uiBaseUrl}`,
        )
      }
    }

    let closing: Promise<void> | undefined
    return {
      ports: { otlpHttp: http.port, otlpGrpc: grpc.port, http: api.port },
      store,
      pipeline,
      retention,
      forwarder,
      red,
      alerts,
      close: () =>
        (closing ??= (async () => {
          retention.stop()
          // Receivers first: in-flight requests finish their writes before the store closes.
          await Promise.all(closers.map((close) => close()))
          await red?.stop()
          await alerts?.stop()
          if (forwarder !== undefined) await forwarder.close()
          await store.close()
        })()),
    }
  } catch (err) {
    await Promise.allSettled(closers.map((close) => close()))
    await store.close()
    throw err
  }
}
