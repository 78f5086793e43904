// Alerts: each rule, its state, and example traces to start the investigation from.
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import { formatDateTime, formatDuration, formatPercent, formatRelative } from '../lib/format'
import { useApi } from '../lib/use-api'

function formatValue(kind: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  return /error/i.test(kind) ? formatPercent(v) : formatDuration(v)
}

export function AlertsPage() {
  const alerts = useApi((s) => api.alerts(s), [])
  let body
  if (alerts.loading && !alerts.data) body = <Loading what="alert rules" />
  else if (alerts.error && alerts.error.status === 404) {
    body = <EmptyState title="Alerting is not enabled on this collector">The collector answered 404 for <code>/api/alerts</code>. Start it with alert rules configured to evaluate them here.</EmptyState>
  } else if (alerts.error) body = <ErrorState title="Could not load alerts" error={alerts.error} hint="Check that the collector is running and reload." />
  else if (!alerts.data?.rules.length) body = <EmptyState title="No alert rules">Configure rules (a span's duration over a threshold, a service's error rate) and their states appear here.</EmptyState>
  else {
    const order = { firing: 0, pending: 1, inactive: 2 } as Record<string, number>
    const rules = [...alerts.data.rules].sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || a.name.localeCompare(b.name))
    body = (
      <table class="data-table" data-testid="alerts-table">
        <thead><tr><th>State</th><th>Rule</th><th>Kind</th><th>Target</th><th class="num">Value</th><th class="num">Threshold</th><th>Since</th><th>Example traces</th></tr></thead>
        <tbody>
          {rules.map((r) => (
            <tr key={r.name} class={`alert-${r.state}`}>
              <td><span class={`state-badge state-${r.state}`}>{r.state}</span></td>
              <td><b>{r.name}</b></td>
              <td class="small">{r.kind}{r.forMs ? ` for ${formatDuration(r.forMs)}` : ''}</td>
              <td>{r.service ?? 'any'}{r.operation ? ` · ${r.operation}` : ''}</td>
              <td class="num">{formatValue(r.kind, r.value)}</td>
              <td class="num">{formatValue(r.kind, r.threshold)}</td>
              <td class="small">{r.since ? <span title={formatDateTime(r.since)}>{formatRelative(r.since)}</span> : '–'}</td>
              <td class="examples">
                {r.exampleTraces.length ? r.exampleTraces.slice(0, 5).map((t) => (
                  <Link key={t.traceId} href={`/trace/${encodeURIComponent(t.traceId)}`} class={t.error ? 'example bad' : 'example'}>
                    {t.traceId.slice(0, 8)} · {formatDuration(t.durationMs)}
                  </Link>
                )) : <span class="muted">none</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )
  }
  return (
    <div class="page">
      <div class="page-head"><h2>Alerts</h2></div>
      {body}
    </div>
  )
}
