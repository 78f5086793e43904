/**
 * The `tracecar collector` flags of the logs/metrics/alerts part, kept here
 * so the command only spreads them into its parser and help text.
 */
import { parseArgs } from 'node:util'
import type { ObservabilityOptions } from './collector.js'
import { parseDuration } from '../units/duration.js'

export const OBSERVABILITY_FLAG_SPECS = {
  'alert-rules': { type: 'string' },
  'alert-webhook': { type: 'string', multiple: true },
  'alertmanager-url': { type: 'string', multiple: true },
  'ui-base-url': { type: 'string' },
  'alert-eval-interval': { type: 'string' },
  'log-trace-id-field': { type: 'string', multiple: true },
  'log-trace-id-pattern': { type: 'string', multiple: true },
} as const

export const OBSERVABILITY_HELP = `  --alert-rules <file>      alert rules (YAML, see config/alerts.yaml), evaluated on the RED rollups
  --alert-webhook <url>     POST alert notices (JSON, docs/logs-metrics-alerts.md) here (repeatable)
  --alertmanager-url <url>  send alerts to a Prometheus Alertmanager (http://host:9093) (repeatable)
  --ui-base-url <url>       base of the trace links in alerts (default http://<host>:<http-port>)
  --alert-eval-interval <d> how often rules are evaluated, e.g. 15s (default: the rules file's, else 15s)
  --log-trace-id-field <f>  extra log field holding trace ids; f:decimal for 64-bit decimal ids (repeatable)
  --log-trace-id-pattern <re> extra regular expression finding trace ids in log text (repeatable)
`

export interface ObservabilityFlagValues {
  'alert-rules'?: string
  'alert-webhook'?: string[]
  'alertmanager-url'?: string[]
  'ui-base-url'?: string
  'alert-eval-interval'?: string
  'log-trace-id-field'?: string[]
  'log-trace-id-pattern'?: string[]
}

/** Throws an Error naming the flag for a bad value. */
export function readObservabilityFlags(v: ObservabilityFlagValues, resolvePath: (p: string) => string): ObservabilityOptions {
  const options: ObservabilityOptions = {
    alertWebhookUrls: v['alert-webhook'] ?? [],
    alertmanagerUrls: v['alertmanager-url'] ?? [],
    logTraceIdFields: v['log-trace-id-field'] ?? [],
    logTraceIdPatterns: v['log-trace-id-pattern'] ?? [],
  }
  if (v['alert-rules'] !== undefined) options.alertRulesPath = resolvePath(v['alert-rules'])
  if (v['ui-base-url'] !== undefined) options.uiBaseUrl = v['ui-base-url']
  const interval = v['alert-eval-interval']
  if (interval !== undefined) {
    const result = parseDuration(interval, { minMs: 100 })
    if (!result.ok) throw new Error(`--alert-eval-interval: ${JSON.stringify(interval)} is not a duration of at least 100ms (e.g. 15s); ${result.problem}`)
    options.evaluationIntervalMs = result.ms
  }
  return options
}

/** Reads only this part's flags from the command line (the command's strict parser has checked the rest). */
export function parseObservabilityFlags(argv: readonly string[], resolvePath: (p: string) => string): ObservabilityOptions {
  const { values } = parseArgs({ args: [...argv], strict: false, allowPositionals: true, options: OBSERVABILITY_FLAG_SPECS })
  return readObservabilityFlags(values as ObservabilityFlagValues, resolvePath)
}
