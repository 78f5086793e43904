/**
 * Where alert notices go:
 * - a webhook: one POST per transition (firing, resolved) with the JSON
 *   payload of alert-notice.ts;
 * - Prometheus Alertmanager: `POST <url>/api/v2/alerts` with Alertmanager's
 *   alert shape. Like Prometheus, firing alerts are re-sent periodically with
 *   an `endsAt` a few intervals ahead, so Alertmanager keeps them active and
 *   resolves them on its own if tracecar goes away; a resolved alert is sent
 *   once with `endsAt` = the time it resolved.
 */
import type { AlertNotice } from './alert-notice.js'
import { noticeSummary, webhookPayload } from './alert-notice.js'
import { postJson } from './post-json.js'
import type { PostResult } from './post-json.js'

export interface AlertNotifier {
  readonly name: string
  /** A transition: the alert started firing or resolved. */
  notify(notice: AlertNotice): Promise<PostResult>
  /** Alerts still firing, re-sent every resend interval (receivers that expire alerts need it). */
  refresh?(notices: readonly AlertNotice[]): Promise<PostResult>
}

export class WebhookNotifier implements AlertNotifier {
  readonly name: string
  constructor(private readonly url: string) {
    this.name = `webhook ${url}`
  }

  notify(notice: AlertNotice): Promise<PostResult> {
    return postJson(this.url, webhookPayload(notice))
  }
}

/** Alertmanager's PostableAlert (api/v2/openapi.yaml). */
export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt?: string
  generatorURL: string
}

export function alertmanagerAlert(n: AlertNotice, firingEndsAtMs: number): PostableAlert {
  const { rule } = n
  const labels: Record<string, string> = { alertname: rule.name, service: rule.service, tracecar_kind: rule.kind }
  if (rule.operation !== undefined) labels.operation = rule.operation
  if (rule.spanKind !== undefined) labels.span_kind = rule.spanKind
  Object.assign(labels, rule.labels)
  const annotations: Record<string, string> = { summary: noticeSummary(n), ...rule.annotations }
  annotations.value = String(n.value)
  const slowest = n.exampleTraces.find((e) => !e.error) ?? n.exampleTraces[0]
  const failing = n.exampleTraces.find((e) => e.error)
  if (slowest !== undefined) {
    annotations.slowest_trace = slowest.traceUrl
    annotations.slowest_trace_logs = slowest.logsUrl
  }
  if (failing !== undefined) {
    annotations.failing_trace = failing.traceUrl
    annotations.failing_trace_logs = failing.logsUrl
  }
  if (n.exampleTraces.length > 0) {
    annotations.example_traces = n.exampleTraces.map((e) => `${e.traceUrl} (${e.durationMs} ms${e.error ? ', error' : ''}) logs: ${e.logsUrl}`).join('\n')
  }
  return {
    labels,
    annotations,
    startsAt: new Date(n.startsAtMs).toISOString(),
    endsAt: new Date(n.endsAtMs ?? firingEndsAtMs).toISOString(),
    generatorURL: n.alertsUrl,
  }
}

export class AlertmanagerNotifier implements AlertNotifier {
  readonly name: string
  private readonly endpoint: string

  /** `resolveAfterMs`: how far ahead a firing alert's endsAt is set (Prometheus uses 4 × resend interval). */
  constructor(
    baseUrl: string,
    private readonly resolveAfterMs: number,
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/api/v2/alerts`
    this.name = `alertmanager ${this.endpoint}`
  }

  notify(notice: AlertNotice): Promise<PostResult> {
    return postJson(this.endpoint, [alertmanagerAlert(notice, Date.now() + this.resolveAfterMs)])
  }

  refresh(notices: readonly AlertNotice[]): Promise<PostResult> {
    const endsAt = Date.now() + this.resolveAfterMs
    return postJson(
      this.endpoint,
      notices.map((n) => alertmanagerAlert(n, endsAt)),
    )
  }
}
