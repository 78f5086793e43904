/**
 * What is sent when an alert fires or resolves, independent of where it goes:
 * the rule, the measured value, the window, and example traces from the
 * window (the slowest, the failing) with links into the UI — the trace view
 * and its logs tab. The webhook payload (documented in
 * docs/logs-metrics-alerts.md) is built here too.
 */
import type { AlertRule } from './alert-rule.js'
import { formatValue, ruleSubject } from './alert-rule.js'
import { formatDurationMs } from '../../units/duration.js'

export interface NoticeTrace {
  traceId: string
  durationMs: number
  error: boolean
  /** `<ui>/trace/<id>` */
  traceUrl: string
  /** `<ui>/trace/<id>?tab=logs` */
  logsUrl: string
}

export interface AlertNotice {
  status: 'firing' | 'resolved'
  rule: AlertRule
  /** The measured value in the rule's unit (ms, fraction, per second). */
  value: number
  /** When the alert started firing (Unix ms). */
  startsAtMs: number
  /** When it resolved; undefined while firing. */
  endsAtMs?: number
  windowStartMs: number
  windowEndMs: number
  exampleTraces: NoticeTrace[]
  /** The UI page listing alerts. */
  alertsUrl: string
}

export function traceLinks(uiBaseUrl: string, traceId: string): { traceUrl: string; logsUrl: string } {
  const base = uiBaseUrl.replace(/\/+$/, '')
  return { traceUrl: `${base}/trace/${traceId}`, logsUrl: `${base}/trace/${traceId}?tab=logs` }
}

export function noticeSummary(n: AlertNotice): string {
  const { rule } = n
  const comparison = rule.kind === 'request_rate' ? '<' : '>'
  const verb = n.status === 'firing' ? 'is' : 'was'
  return `${ruleSubject(rule)} ${verb} ${formatValue(rule, n.value)} ${comparison} ${formatValue(rule, rule.threshold)} over ${formatDurationMs(rule.windowMs)}${n.status === 'resolved' ? ' (resolved)' : ''}`
}

/** The webhook body (`version` changes only with an incompatible change). */
export function webhookPayload(n: AlertNotice): Record<string, unknown> {
  const { rule } = n
  return {
    version: 'tracecar.alert/v1',
    status: n.status,
    summary: noticeSummary(n),
    rule: {
      name: rule.name,
      kind: rule.kind,
      service: rule.service,
      operation: rule.operation ?? null,
      spanKind: rule.spanKind ?? null,
      quantile: rule.kind === 'duration_quantile' ? rule.quantile : null,
      threshold: rule.threshold,
      windowMs: rule.windowMs,
      forMs: rule.forMs,
      labels: rule.labels,
      annotations: rule.annotations,
    },
    value: n.value,
    unit: rule.kind === 'duration_quantile' ? 'ms' : rule.kind === 'error_rate' ? 'ratio' : 'per_second',
    startsAt: new Date(n.startsAtMs).toISOString(),
    endsAt: n.endsAtMs === undefined ? null : new Date(n.endsAtMs).toISOString(),
    window: { start: new Date(n.windowStartMs).toISOString(), end: new Date(n.windowEndMs).toISOString() },
    alertsUrl: n.alertsUrl,
    exampleTraces: n.exampleTraces,
  }
}
