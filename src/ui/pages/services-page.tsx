// Services: rate, errors and latency per service and operation with a sparkline of traffic.
// Falls back to the plain service list when the collector has no metrics endpoint.
import { useState } from 'preact/hooks'
import { Sparkline } from '../charts/sparkline'
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { ServiceMetricsRow } from '../lib/api-types'
import { formatDuration, formatPercent, formatRate } from '../lib/format'
import { href, navigate } from '../lib/router'
import { serviceColor } from '../lib/service-colors'
import { LOOKBACKS, lookbackMs } from '../lib/time-range'
import { useApi } from '../lib/use-api'

export function LookbackSelect(props: { value: string; path: string }) {
  return (
    <label class="inline-label">Window
      <select value={props.value} onChange={(e) => navigate(href(props.path, { lookback: e.currentTarget.value }))}>
        {LOOKBACKS.map((l) => <option key={l.value} value={l.value}>{l.label}</option>)}
      </select>
    </label>
  )
}

function ServiceList() {
  const services = useApi((s) => api.services(s), [])
  if (services.loading) return <Loading what="services" />
  if (services.error) return <ErrorState title="Could not load services" error={services.error} hint="Check that the collector is running." />
  const list = services.data?.services ?? []
  if (!list.length) return <EmptyState title="No services yet">Send spans to the collector's OTLP endpoint (:4318 or :4317) and they show up here.</EmptyState>
  return (
    <table class="data-table" data-testid="services-table">
      <thead><tr><th>Service</th><th /></tr></thead>
      <tbody>
        {list.map((s) => (
          <tr key={s}>
            <td><span class="svc-dot" style={{ background: serviceColor(s) }} />{s}</td>
            <td><Link href={href('/search', { service: s })}>Traces →</Link></td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function ServicesPage(props: { query: URLSearchParams }) {
  const lookback = props.query.get('lookback') ?? '1h'
  const windowMs = lookbackMs(lookback)
  const metrics = useApi((signal) => {
    const end = Date.now()
    return api.serviceMetrics({ start: end - windowMs, end }, signal)
  }, [windowMs])

  let body
  if (metrics.loading && !metrics.data) body = <Loading what="service metrics" />
  else if (metrics.error && metrics.error.status === 404) {
    body = (
      <>
        <p class="notice">Rates and latencies are not available: this collector has no metrics endpoint. Services seen so far:</p>
        <ServiceList />
      </>
    )
  } else if (metrics.error) body = <ErrorState title="Could not load service metrics" error={metrics.error} hint="Check that the collector is running and reload." />
  else {
    const rows = [...(metrics.data?.rows ?? [])].sort((a, b) => a.service.localeCompare(b.service) || b.requests - a.requests)
    if (!rows.length) {
      body = (
        <>
          <p class="notice">No requests were counted in this window. Widen it, or services seen at any time:</p>
          <ServiceList />
        </>
      )
    } else body = <MetricsTable rows={rows} lookback={lookback} windowMs={windowMs} />
  }
  return (
    <div class="page">
      <div class="page-head">
        <h2>Services</h2>
        <LookbackSelect value={lookback} path="/services" />
      </div>
      {body}
    </div>
  )
}

/** Operations shown per service before "show all": a service with thousands of distinct span
 * names (ids in paths) must not turn the page into thousands of rows. */
const OPS_SHOWN = 8

function MetricsTable(props: { rows: ServiceMetricsRow[]; lookback: string; windowMs: number }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set())
  const groups = new Map<string, ServiceMetricsRow[]>()
  for (const r of props.rows) groups.set(r.service, [...(groups.get(r.service) ?? []), r])
  const body = []
  for (const [service, list] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    // Entry points (SERVER) first: what the service's callers see; then the busiest.
    const rank = (r: ServiceMetricsRow) => (r.spanKind === 'SERVER' ? 0 : r.spanKind === 'CONSUMER' ? 1 : 2)
    list.sort((a, b) => rank(a) - rank(b) || b.requests - a.requests || a.operation.localeCompare(b.operation))
    const shown = expanded.has(service) ? list : list.slice(0, OPS_SHOWN)
    shown.forEach((r, i) => body.push(
      <tr key={`${r.service}\u0000${r.operation}\u0000${r.spanKind}`} class={i === 0 ? 'group-start' : ''}>
        <td>{i === 0 && <><span class="svc-dot" style={{ background: serviceColor(r.service) }} />{r.service}</>}</td>
        <td>{r.operation}</td>
        <td class="muted small">{r.spanKind}</td>
        <td class="num" title={`${r.requests} requests`}>{formatRate(r.ratePerSec > 0 || !r.requests ? r.ratePerSec : r.requests / (props.windowMs / 1000))}</td>
        <td class={`num ${r.errorRate > 0.05 ? 'bad' : r.errorRate > 0 ? 'warn' : ''}`}>{formatPercent(r.errorRate)}</td>
        <td class="num">{formatDuration(r.p50Ms)}</td>
        <td class="num">{formatDuration(r.p95Ms)}</td>
        <td class="num">{formatDuration(r.p99Ms)}</td>
        <td><Sparkline values={r.spark ?? []} color={serviceColor(r.service)} /></td>
        <td><Link href={href('/search', { service: r.service, operation: r.operation, lookback: props.lookback })}>Traces →</Link></td>
      </tr>,
    ))
    if (list.length > OPS_SHOWN) {
      const open = expanded.has(service)
      body.push(
        <tr key={`${service}\u0000more`} class="more-row">
          <td />
          <td colSpan={9}>
            <button type="button" class="link-button" onClick={() => {
              const next = new Set(expanded)
              if (open) next.delete(service)
              else next.add(service)
              setExpanded(next)
            }}>
              {open ? `Show the busiest ${OPS_SHOWN} only` : `Show all ${list.length} operations of ${service}`}
            </button>
          </td>
        </tr>,
      )
    }
  }
  return (
    <table class="data-table" data-testid="services-table">
      <thead>
        <tr><th>Service</th><th>Operation</th><th>Kind</th><th class="num">Rate</th><th class="num">Error %</th>
          <th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th>Requests</th><th /></tr>
      </thead>
      <tbody>{body}</tbody>
    </table>
  )
}
