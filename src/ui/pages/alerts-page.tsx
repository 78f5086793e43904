// Alerts: each rule, its state, and example traces to start the investigation from.
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { AlertRuleStatus } from '../../query-api/query-api-types'
import { formatDateTime, formatDuration, formatPercent, formatRate, formatRelative } from '../lib/format'
import { useApi } from '../lib/use-api'

/** Values in the rule's own unit: a duration, a share of requests, or a rate. */
function formatValue(kind: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  if (kind === 'error_rate') return formatPercent(v)
  if (kind === 'request_rate') return formatRate(v)
  return formatDuration(v)
}

function condition(r: AlertRuleStatus): string {
  const t = formatValue(r.kind, r.threshold)
  switch (r.kind) {
    case 'duration_quantile':
      return `p${+((r.quantile ?? 0.99) * 100).toFixed(1)} duration > ${t}`
    case 'error_rate':
      return `error rate > ${t}`
    case 'request_rate':
      return `rate < ${t}`
    default:
      return `${r.kind} ${t}`
  }
}

export function AlertsPage() {
  const alerts = useApi((s) => api.alerts(s), [])
  let body
  if (alerts.loading && !alerts.data) body = <Loading what="alert rules" />
  else if (alerts.error && alerts.error.status === 404) {
    body = (
      <EmptyState title="Alerting is not enabled on this collector">
        The collector answered 404 for <code>/api/alerts</code>. Start it with alert rules configured to evaluate them here.
      </EmptyState>
    )
  } else if (alerts.error) body = <ErrorState title="Could not load alerts" error={alerts.error} hint="Check that the collector is running and reload." />
  else if (!alerts.data?.rules.length)
    body = (
      <EmptyState title="No alert rules">Configure rules (a span's duration over a threshold, a service's error rate) and their states appear here.</EmptyState>
    )
  else {
    const order = { firing: 0, pending: 1, inactive: 2 } as Record<string, number>
    const rules = [...alerts.data.rules].sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || a.name.localeCompare(b.name))
    body = (
      <table class="data-table" data-testid="alerts-table">
        <thead>
          <tr>
            <th>State</th>
            <th>Rule</th>
            <th>Condition</th>
            <th>Target</th>
            <th class="num">Value now</th>
            <th>Since</th>
            <th>Example traces</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.name} class={`alert-${r.state}`}>
              <td>
                <span class={`state-badge state-${r.state}`}>{r.state}</span>
              </td>
              <td>
                <b>{r.name}</b>
              </td>
              <td class="small">
                {condition(r)}
                <span class="muted">
                  {r.windowMs ? ` over ${formatDuration(r.windowMs)}` : ''}
                  {r.forMs ? `, for ${formatDuration(r.forMs)}` : ''}
                </span>
              </td>
              <td>
                {r.service ?? 'any'}
                {r.operation ? ` · ${r.operation}` : ''}
                {r.spanKind ? ` (${r.spanKind})` : ''}
              </td>
              <td class="num">{formatValue(r.kind, r.value)}</td>
              <td class="small">{r.since ? <span title={formatDateTime(r.since)}>{formatRelative(r.since)}</span> : '–'}</td>
              <td>
                <div class="examples">
                  {r.exampleTraces.length ? (
                    r.exampleTraces.slice(0, 5).map((t) => (
                      <Link key={t.traceId} href={`/trace/${encodeURIComponent(t.traceId)}`} class={t.error ? 'example bad' : 'example'}>
                        {t.traceId.slice(0, 8)} · {formatDuration(t.durationMs)}
                      </Link>
                    ))
                  ) : (
                    <span class="muted">none</span>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )
  }
  return (
    <div class="page">
      <div class="page-head">
        <h2>Alerts</h2>
      </div>
      {body}
    </div>
  )
}
