/**
 * Logs ingest, RED metrics and alerts as one collector extension:
 * the command builds it from its flags, passes `extension` to
 * startCollector, then calls `attach(collector)` once the servers listen
 * (the log endpoints need the ingest pipeline, alert links need the UI port).
 *
 * The rules file is read and validated here, before anything starts, so a
 * bad file stops the command with a message naming the rule and the key.
 */
import type { Collector, CollectorContext, CollectorExtension } from './collector.js'
import { AlertEngine } from './alerts/alert-engine.js'
import type { AlertNotifier } from './alerts/alert-notifiers.js'
import { AlertmanagerNotifier, WebhookNotifier } from './alerts/alert-notifiers.js'
import type { AlertRule } from './alerts/alert-rule.js'
import { loadAlertRulesFile } from './alerts/alert-rules-file.js'
import { alertsRoutes } from './alerts/alerts-routes.js'
import { logIngestRoutes } from './logs-ingest/log-ingest-routes.js'
import type { LogSink } from './logs-ingest/log-ingest-routes.js'
import { createTraceIdDerivation } from './logs-ingest/trace-id-derivation.js'
import { RedMetrics } from './metrics/red-metrics.js'

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
  maxBodyBytes?: number
}

export interface Observability {
  rules: readonly AlertRule[]
  extension(context: CollectorContext): CollectorExtension
  attach(collector: Collector, host: string): void
  readonly red: RedMetrics | undefined
  readonly engine: AlertEngine | undefined
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

/** Throws (AlertRulesError, or Error for a bad URL or pattern) before anything starts. */
export function createObservabilityExtensions(options: ObservabilityOptions = {}): Observability {
  const rulesFile = options.alertRulesPath === undefined ? { rules: [] as AlertRule[], evaluationIntervalMs: undefined } : loadAlertRulesFile(options.alertRulesPath)
  const derivation = createTraceIdDerivation({ traceIdFields: options.logTraceIdFields, textPatterns: options.logTraceIdPatterns })
  const webhooks = (options.alertWebhookUrls ?? []).map((u) => checkUrl('--alert-webhook', u, 'http://127.0.0.1:8080/alerts'))
  const alertmanagers = (options.alertmanagerUrls ?? []).map((u) => checkUrl('--alertmanager-url', u, 'http://127.0.0.1:9093'))
  const uiBaseOverride = options.uiBaseUrl === undefined ? undefined : checkUrl('--ui-base-url', options.uiBaseUrl, 'https://tracecar.example.com')
  const evaluationIntervalMs = options.evaluationIntervalMs ?? rulesFile.evaluationIntervalMs ?? DEFAULT_EVALUATION_INTERVAL_MS
  const resendIntervalMs = Math.max(evaluationIntervalMs, options.resendIntervalMs ?? 60_000)
  let sink: LogSink | undefined
  let uiBaseUrl = uiBaseOverride ?? 'http://127.0.0.1:16686'
  let red: RedMetrics | undefined
  let engine: AlertEngine | undefined
  let log: (line: string) => void = () => {}

  return {
    rules: rulesFile.rules,
    get red() {
      return red
    },
    get engine() {
      return engine
    },
    extension(context) {
      log = context.log
      red = new RedMetrics({ db: context.db, retentionMs: options.rollupRetentionMs, log: context.log })
      const notifiers: AlertNotifier[] = [
        ...webhooks.map((u) => new WebhookNotifier(u)),
        ...alertmanagers.map((u) => new AlertmanagerNotifier(u, 4 * resendIntervalMs)),
      ]
      if (rulesFile.rules.length > 0) {
        const metrics = red
        engine = new AlertEngine({
          rules: rulesFile.rules,
          rollups: metrics.store,
          flushRollups: () => metrics.flush(),
          evaluationIntervalMs,
          resendIntervalMs,
          notifiers,
          uiBaseUrl: () => uiBaseUrl,
          log: context.log,
        })
      }
      const rulesEngine = engine
      const metrics = red
      return {
        ingestListeners: [metrics],
        apiRoutes: [...metrics.routes, ...alertsRoutes(rulesEngine)],
        ingestRoutes: logIngestRoutes({ sink: () => sink, derivation, maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024 }),
        // Configured patterns also apply to OTLP log bodies (the collector uses group 1 as the id there).
        traceIdPatterns: (options.logTraceIdPatterns ?? []).map((source) => new RegExp(source)),
        async close() {
          metrics.stop()
          await rulesEngine?.stop()
        },
      }
    },
    attach(collector, host) {
      sink = collector.pipeline
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
      uiBaseUrl = uiBaseOverride ?? `http://${reachable}:${collector.ports.http}`
      red?.start()
      engine?.start()
      if (engine !== undefined) {
        const targets = [...webhooks.map((u) => `webhook ${u}`), ...alertmanagers.map((u) => `Alertmanager ${u}`)]
        log(
          `${rulesFile.rules.length} alert rule(s) from ${options.alertRulesPath}, evaluated every ${evaluationIntervalMs} ms; ` +
            (targets.length > 0 ? `notifying ${targets.join(', ')}` : 'no --alert-webhook or --alertmanager-url: states only in /api/alerts') +
            `; trace links on ${uiBaseUrl}`,
        )
      }
    },
  }
}
