// Services: rate, errors and latency per service and operation with a sparkline of traffic, over
// a lookback or the custom range in the URL (`lookback=custom&start=&end=`, as the load report links).
// Falls back to the plain service list when the collector has no metrics endpoint.
import { useEffect, useState } from 'preact/hooks'
import { Sparkline } from '../charts/sparkline'
import { Link } from '../components/link'
import { CustomRangeInputs } from '../components/time-range-inputs'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { ServiceMetricsRow } from '../../query-api/query-api-types'
import { formatDateTime, formatDuration, formatPercent, formatRate } from '../lib/format'
import { href, navigate } from '../lib/router'
import { serviceColor } from '../lib/service-colors'
import { customRange, LOOKBACKS, lookbackMs, parseCustomRange, toLocalInput } from '../lib/time-range'
import { useApi } from '../lib/use-api'

/** The window a page shows: a lookback from now, or the custom range its URL names. */
export interface PageWindow {
  lookback: string
  custom: { start: number; end: number } | null
  windowMs: number
  /** changes when the window does (a lookback's range moves with the clock, its key does not) */
  key: string
  /** the window said short, beside a figure: "1h", "30m" */
  short: string
}

export function pageWindow(query: URLSearchParams): PageWindow {
  const custom = customRange(query)
  const lookback = custom ? 'custom' : (query.get('lookback') ?? '1h')
  const windowMs = custom ? custom.end - custom.start : lookbackMs(lookback)
  return { lookback, custom, windowMs, key: custom ? `${custom.start}-${custom.end}` : lookback, short: formatDuration(windowMs) }
}

/** The window's search parameters, for links that keep it (search understands the custom range too). */
export function windowParams(w: PageWindow): Record<string, string | number> {
  return w.custom ? { lookback: 'custom', start: w.custom.start, end: w.custom.end } : { lookback: w.lookback }
}

/** A lookback, or a custom range to the second (From/To and Apply): the URL holds the choice. */
export function LookbackSelect(props: {
  window: PageWindow
  path: string
  /** the page's other URL parameters, kept when the window changes */ keep?: Record<string, string>
}) {
  const { custom } = props.window
  const initial = () => {
    const end = custom?.end ?? Date.now()
    return { start: toLocalInput(custom?.start ?? end - props.window.windowMs), end: toLocalInput(end, 'up') }
  }
  const [editing, setEditing] = useState(false)
  const [range, setRange] = useState(initial)
  const [problem, setProblem] = useState<string | null>(null)
  useEffect(() => {
    setRange(initial())
    setEditing(false)
    setProblem(null)
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the range resets when the window changes; initial() reads that window
  }, [props.window.key])
  const showRange = editing || custom !== null
  const apply = (e: Event) => {
    e.preventDefault()
    const r = parseCustomRange(range.start, range.end)
    if ('error' in r) return setProblem(r.error)
    navigate(href(props.path, { ...props.keep, lookback: 'custom', start: r.start, end: r.end }))
  }
  return (
    <form class="window-picker" onSubmit={apply} aria-label="Time window">
      <label class="inline-label">
        Window
        <select
          name="lookback"
          value={showRange ? 'custom' : props.window.lookback}
          onChange={(e) => {
            const v = e.currentTarget.value
            if (v === 'custom') {
              setRange(initial())
              setEditing(true)
            } else navigate(href(props.path, { ...props.keep, lookback: v }))
          }}
        >
          {LOOKBACKS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
          <option value="custom">{custom ? `${formatDateTime(custom.start)} – ${formatDateTime(custom.end)}` : 'Custom range…'}</option>
        </select>
      </label>
      {showRange && (
        <>
          <CustomRangeInputs start={range.start} end={range.end} onInput={(which, v) => setRange((r) => ({ ...r, [which]: v }))} />
          <button type="submit" class="small-button">
            Apply
          </button>
        </>
      )}
      {problem && (
        <span class="form-problem" role="alert">
          {problem}
        </span>
      )}
    </form>
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
      <thead>
        <tr>
          <th>Service</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {list.map((s) => (
          <tr key={s}>
            <td>
              <span class="svc-dot" style={{ background: serviceColor(s) }} />
              {s}
            </td>
            <td>
              <Link href={href('/search', { service: s })}>Traces →</Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function ServicesPage(props: { query: URLSearchParams }) {
  const win = pageWindow(props.query)
  const metrics = useApi(
    (signal) => {
      const end = win.custom?.end ?? Date.now()
      // The window the rows are for: while the next window's rows load, the last ones keep their own labels and links.
      return api.serviceMetrics({ start: win.custom?.start ?? end - win.windowMs, end }, signal).then(({ rows }) => ({ rows, win }))
    },
    [win.key],
  )

  let body
  if (metrics.loading && !metrics.data) body = <Loading what="service metrics" />
  else if (metrics.error && metrics.error.status === 404) {
    body = (
      <>
        <p class="notice">Rates and latencies are not available: this collector has no metrics endpoint. Services seen so far:</p>
        <ServiceList />
      </>
    )
  } else if (metrics.error)
    body = <ErrorState title="Could not load service metrics" error={metrics.error} hint="Check that the collector is running and reload." />
  else {
    const rows = [...(metrics.data?.rows ?? [])].sort((a, b) => a.service.localeCompare(b.service) || b.requests - a.requests)
    if (!rows.length) {
      body = (
        <>
          <p class="notice">No requests were counted in this window. Widen it, or services seen at any time:</p>
          <ServiceList />
        </>
      )
    } else body = <MetricsTable rows={rows} window={metrics.data?.win ?? win} />
  }
  return (
    <div class="page">
      <div class="page-head">
        <h2>Services</h2>
        <LookbackSelect window={win} path="/services" />
      </div>
      {body}
    </div>
  )
}

/** Operations shown per service before "show all": a service with thousands of distinct span
 * names (ids in paths) must not turn the page into thousands of rows. */
const OPS_SHOWN = 8

/**
 * Requests per second over the time the operation had traffic, not over the whole window: 5 req/s
 * for ten minutes is "5/s", not "0.83/s over the last hour". The sparkline's slots say when there
 * was traffic (each slot is the window over the number of slots), so that is as fine as they are.
 */
export function activeRate(row: Pick<ServiceMetricsRow, 'requests' | 'spark'>, windowMs: number): { perSec: number; activeMs: number } {
  const slots = row.spark?.length ?? 0
  const busy = slots ? row.spark.filter((n) => n > 0).length : 0
  const activeMs = busy ? (windowMs / slots) * busy : windowMs
  return { perSec: activeMs > 0 ? row.requests / (activeMs / 1000) : 0, activeMs }
}

/** The collector's finest rollup bucket: a window ending less than this ago has its last one still filling. */
const FINEST_BUCKET_MS = 10_000

function MetricsTable(props: { rows: ServiceMetricsRow[]; window: PageWindow }) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set())
  // A lookback ends now, and so does a custom range reaching the present: its last slot is still counting.
  // eslint-disable-next-line react-hooks/purity -- the table is drawn again with each fetch, which is when 'now' is meant
  const lastSlotFilling = (props.window.custom?.end ?? Infinity) > Date.now() - FINEST_BUCKET_MS
  const groups = new Map<string, ServiceMetricsRow[]>()
  for (const r of props.rows) groups.set(r.service, [...(groups.get(r.service) ?? []), r])
  const body = []
  for (const [service, list] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    // Entry points (SERVER) first: what the service's callers see; then the busiest.
    const rank = (r: ServiceMetricsRow) => (r.spanKind === 'SERVER' ? 0 : r.spanKind === 'CONSUMER' ? 1 : 2)
    list.sort((a, b) => rank(a) - rank(b) || b.requests - a.requests || a.operation.localeCompare(b.operation))
    const shown = expanded.has(service) ? list : list.slice(0, OPS_SHOWN)
    shown.forEach((r, i) =>
      body.push(
        <tr key={`${r.service}\u0000${r.operation}\u0000${r.spanKind}`} class={i === 0 ? 'group-start' : ''}>
          <td>
            {i === 0 && (
              <>
                <span class="svc-dot" style={{ background: serviceColor(r.service) }} />
                {r.service}
              </>
            )}
          </td>
          <td>{r.operation}</td>
          <td class="muted small">{r.spanKind}</td>
          <RateCell row={r} window={props.window} />
          <td class={`num ${r.errorRate > 0.05 ? 'bad' : r.errorRate > 0 ? 'warn' : ''}`}>{formatPercent(r.errorRate)}</td>
          <td class="num">{formatDuration(r.p50Ms ?? NaN)}</td>
          <td class="num">{formatDuration(r.p95Ms ?? NaN)}</td>
          <td class="num">{formatDuration(r.p99Ms ?? NaN)}</td>
          <td>
            <Sparkline values={r.spark ?? []} color={serviceColor(r.service)} unfinishedLast={lastSlotFilling} />
          </td>
          <td>
            <Link href={href('/search', { service: r.service, operation: r.operation, ...windowParams(props.window) })}>Traces →</Link>
          </td>
        </tr>,
      ),
    )
    if (list.length > OPS_SHOWN) {
      const open = expanded.has(service)
      body.push(
        <tr key={`${service}\u0000more`} class="more-row">
          <td />
          <td colSpan={9}>
            <button
              type="button"
              class="link-button"
              onClick={() => {
                const next = new Set(expanded)
                if (open) next.delete(service)
                else next.add(service)
                setExpanded(next)
              }}
            >
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
        <tr>
          <th>Service</th>
          <th>Operation</th>
          <th>Kind</th>
          <th class="num" title="Requests per second while the operation had traffic in the window">
            Rate (while active)
          </th>
          <th class="num">Error %</th>
          <th class="num">p50</th>
          <th class="num">p95</th>
          <th class="num">p99</th>
          <th>Requests</th>
          <th />
        </tr>
      </thead>
      <tbody>{body}</tbody>
    </table>
  )
}

function RateCell(props: { row: ServiceMetricsRow; window: PageWindow }) {
  const { perSec, activeMs } = activeRate(props.row, props.window.windowMs)
  const whole = activeMs >= props.window.windowMs
  return (
    <td
      class="num"
      data-testid="rate"
      title={`${props.row.requests} requests in ${props.window.short}; ${formatRate(perSec)} over the ${formatDuration(activeMs)} with traffic, ${formatRate(props.row.requests / (props.window.windowMs / 1000))} over the whole window`}
    >
      {formatRate(perSec)} <span class="muted small">{whole ? `over ${props.window.short}` : `over ${formatDuration(activeMs)} of ${props.window.short}`}</span>
    </td>
  )
}
