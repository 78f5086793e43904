// Search: the form lives in the URL (/search?service=..&lookback=..), so a search is a link and
// the back button returns to the previous one. Results show as a scatter of duration over time
// (click a point to open the trace) and as a list.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type uPlot from 'uplot'
import { UPlotChart } from '../charts/uplot-chart'
import { Link } from '../components/link'
import { CustomRangeInputs } from '../components/time-range-inputs'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { TraceSummary } from '../../query-api/query-api-types'
import { formatDateTime, formatDuration, formatRelative } from '../lib/format'
import { href, navigate } from '../lib/router'
import { serviceColor } from '../lib/service-colors'
import { formatAttributeFilter, LOOKBACKS, parseAttributeFilter, parseCustomRange, parseDurationMs, resolveRange, toLocalInput } from '../lib/time-range'
import { useApi } from '../lib/use-api'

interface FormState {
  service: string
  operation: string
  lookback: string
  start: string
  end: string
  minDuration: string
  maxDuration: string
  error: boolean
  attrs: string
  /** W3C tracestate members (`tracecar=run-<id>` finds one `tracecar load` run). */
  tracestate: string
  limit: string
}

function formFromQuery(q: URLSearchParams): FormState {
  const now = Date.now()
  const start = Number(q.get('start'))
  const end = Number(q.get('end'))
  return {
    service: q.get('service') ?? '',
    operation: q.get('operation') ?? '',
    lookback: q.get('lookback') ?? '1h',
    start: toLocalInput(start > 0 ? start : now - 3600_000),
    end: toLocalInput(end > 0 ? end : now, 'up'),
    minDuration: q.get('minDuration') ?? '',
    maxDuration: q.get('maxDuration') ?? '',
    error: q.get('error') === 'true',
    attrs: formatAttributeFilter(q.getAll('attr')),
    tracestate: q.getAll('tracestate').join(' '),
    limit: q.get('limit') ?? '20',
  }
}

const SORTS = {
  newest: (a: TraceSummary, b: TraceSummary) => b.startTimeUnixMs - a.startTimeUnixMs,
  longest: (a: TraceSummary, b: TraceSummary) => b.durationMs - a.durationMs,
  shortest: (a: TraceSummary, b: TraceSummary) => a.durationMs - b.durationMs,
  spans: (a: TraceSummary, b: TraceSummary) => b.spanCount - a.spanCount,
}

function SearchForm(props: { query: URLSearchParams }) {
  const [form, setForm] = useState(() => formFromQuery(props.query))
  const [problem, setProblem] = useState<string | null>(null)
  const queryKey = props.query.toString()
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the form resets when the query's text changes, not for each equal URLSearchParams object
  useEffect(() => setForm(formFromQuery(props.query)), [queryKey])
  const services = useApi((s) => api.services(s), [])
  const operations = useApi(form.service ? (s) => api.operations(form.service, s) : null, [form.service])
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setForm((f) => ({ ...f, [k]: v }))

  const submit = (e: Event) => {
    e.preventDefault()
    const min = form.minDuration.trim()
    const max = form.maxDuration.trim()
    if (min && parseDurationMs(min) === null) return setProblem(`Min duration "${min}" is not a duration: use e.g. 250ms, 1.5s, 2m`)
    if (max && parseDurationMs(max) === null) return setProblem(`Max duration "${max}" is not a duration: use e.g. 250ms, 1.5s, 2m`)
    const attrs = parseAttributeFilter(form.attrs)
    if ('error' in attrs) return setProblem(`Attributes: ${attrs.error}`)
    const tracestate = form.tracestate.split(/\s+/).filter((m) => m !== '')
    const badMember = tracestate.find((m) => !/^[^=,]+=[^=,]+$/.test(m))
    if (badMember !== undefined) return setProblem(`Trace state "${badMember}" is not a key=value member, e.g. tracecar=run-1a2b`)
    let start: number | undefined
    let end: number | undefined
    if (form.lookback === 'custom') {
      const range = parseCustomRange(form.start, form.end)
      if ('error' in range) return setProblem(range.error)
      ;({ start, end } = range)
    }
    setProblem(null)
    navigate(
      href('/search', {
        service: form.service,
        operation: form.operation,
        lookback: form.lookback,
        start,
        end,
        minDuration: min,
        maxDuration: max,
        error: form.error ? 'true' : undefined,
        attr: attrs.terms,
        tracestate,
        limit: form.limit === '20' ? undefined : form.limit,
      }),
    )
  }

  return (
    <form class="search-form" onSubmit={submit} aria-label="Find traces">
      <label>
        Service
        <select
          name="service"
          data-shortcut="search"
          value={form.service}
          onChange={(e) => setForm((f) => ({ ...f, service: e.currentTarget.value, operation: '' }))}
        >
          <option value="">All services</option>
          {services.data?.services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          {form.service && !services.data?.services.includes(form.service) && <option value={form.service}>{form.service}</option>}
        </select>
      </label>
      <label>
        Operation
        <select name="operation" value={form.operation} disabled={!form.service} onChange={(e) => set('operation', e.currentTarget.value)}>
          <option value="">All operations</option>
          {operations.data?.operations.map((o) => (
            <option key={o.name} value={o.name}>
              {o.name}
            </option>
          ))}
          {form.operation && !operations.data?.operations.some((o) => o.name === form.operation) && <option value={form.operation}>{form.operation}</option>}
        </select>
      </label>
      <label>
        Time range
        <select name="lookback" value={form.lookback} onChange={(e) => set('lookback', e.currentTarget.value)}>
          {LOOKBACKS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
          <option value="custom">Custom range…</option>
        </select>
      </label>
      {form.lookback === 'custom' && <CustomRangeInputs start={form.start} end={form.end} onInput={set} />}
      <div class="form-row">
        <label>
          Min duration
          <input name="minDuration" placeholder="e.g. 100ms" value={form.minDuration} onInput={(e) => set('minDuration', e.currentTarget.value)} />
        </label>
        <label>
          Max duration
          <input name="maxDuration" placeholder="e.g. 2s" value={form.maxDuration} onInput={(e) => set('maxDuration', e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Attributes
        <input name="attrs" placeholder='http.status_code=500 user.id="a b"' value={form.attrs} onInput={(e) => set('attrs', e.currentTarget.value)} />
      </label>
      <label>
        Trace state
        <input
          name="tracestate"
          placeholder="tracecar=run-1a2b (a tracecar load run)"
          value={form.tracestate}
          onInput={(e) => set('tracestate', e.currentTarget.value)}
        />
      </label>
      <div class="form-row">
        <label class="checkbox">
          <input type="checkbox" name="error" checked={form.error} onChange={(e) => set('error', e.currentTarget.checked)} /> Errors only
        </label>
        <label>
          Limit
          <select name="limit" value={form.limit} onChange={(e) => set('limit', e.currentTarget.value)}>
            {['20', '50', '100', '500'].map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
      </div>
      {problem && (
        <p class="form-problem" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="primary">
        Find traces
      </button>
    </form>
  )
}

/** Room on either side of the results on the scatter's time axis: a twentieth of their span, at least a second. */
export function scatterTimeRange(startsMs: number[]): [number, number] {
  const first = Math.min(...startsMs) / 1000
  const last = Math.max(...startsMs) / 1000
  const pad = Math.max((last - first) * 0.05, 1)
  return [first - pad, last + pad]
}

function Scatter(props: { traces: TraceSummary[] }) {
  const [hover, setHover] = useState<{ i: number; left: number; top: number; flip: boolean } | null>(null)
  const boxRef = useRef<HTMLDivElement>(null)
  const { options, data, sorted } = useMemo(() => {
    const sorted = [...props.traces].sort((a, b) => a.startTimeUnixMs - b.startTimeUnixMs)
    const xs = sorted.map((t) => t.startTimeUnixMs / 1000)
    const ok = sorted.map((t) => (t.errorCount ? null : t.durationMs))
    const bad = sorted.map((t) => (t.errorCount ? t.durationMs : null))
    const data: uPlot.AlignedData = [xs, ok, bad]
    // The x axis spans the results (a limit of 20 in a 7-day lookback are often minutes apart:
    // the whole lookback would pile them into one column); the result list says the window.
    const xRange = scatterTimeRange(sorted.map((t) => t.startTimeUnixMs))
    const options: Omit<uPlot.Options, 'width'> = {
      height: 170,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: true, range: () => xRange },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [{}, { size: 60, values: (_u, vals) => vals.map((v) => formatDuration(v)) }],
      series: [
        {},
        { label: 'ok', stroke: '#4e79a7', paths: () => null, points: { show: true, size: 8, fill: '#4e79a7aa', stroke: '#4e79a7' } },
        { label: 'error', stroke: '#d62728', paths: () => null, points: { show: true, size: 8, fill: '#d62728cc', stroke: '#d62728' } },
      ],
    }
    return { options, data, sorted }
  }, [props.traces])

  const onCreate = (u: uPlot) => {
    // The nearest point (in pixels, both axes) within 12px opens on click and is described on hover.
    const nearest = (e: MouseEvent): number | null => {
      const rect = u.over.getBoundingClientRect()
      const x = e.clientX - rect.left
      const y = e.clientY - rect.top
      let best: number | null = null
      let bestD = 144
      sorted.forEach((t, i) => {
        const dx = u.valToPos(t.startTimeUnixMs / 1000, 'x') - x
        const dy = u.valToPos(t.durationMs, 'y') - y
        const d = dx * dx + dy * dy
        if (d < bestD) {
          bestD = d
          best = i
        }
      })
      return best
    }
    u.over.addEventListener('click', (e) => {
      const i = nearest(e)
      if (i !== null) navigate(`/trace/${encodeURIComponent(sorted[i]!.traceId)}`)
    })
    u.over.addEventListener('mousemove', (e) => {
      const i = nearest(e)
      u.over.style.cursor = i === null ? 'default' : 'pointer'
      if (i === null) return setHover(null)
      // Where the dot is, in the scatter box's coordinates (the tooltip is placed beside it).
      const box = boxRef.current!.getBoundingClientRect()
      const over = u.over.getBoundingClientRect()
      const left = over.left - box.left + u.valToPos(sorted[i]!.startTimeUnixMs / 1000, 'x')
      const top = over.top - box.top + u.valToPos(sorted[i]!.durationMs, 'y')
      setHover((h) => (h && h.i === i ? h : { i, left, top, flip: left > box.width - 260 }))
    })
    u.over.addEventListener('mouseleave', () => setHover(null))
  }
  const tip = hover ? sorted[hover.i] : undefined
  return (
    <div class="scatter" data-testid="scatter" ref={boxRef}>
      <UPlotChart options={options} data={data} onCreate={onCreate} />
      {tip && hover && (
        <div
          class={`scatter-tip ${hover.flip ? 'to-left' : ''}`}
          data-testid="scatter-tooltip"
          role="tooltip"
          style={{ left: `${hover.left}px`, top: `${hover.top}px` }}
        >
          <div class="scatter-tip-title">
            <span class="svc-dot" style={{ background: serviceColor(tip.rootService) }} />
            <b>{tip.rootService}</b>: {tip.rootOperation}
          </div>
          <div>
            <b>{formatDuration(tip.durationMs)}</b> · {tip.spanCount} span{tip.spanCount === 1 ? '' : 's'}
          </div>
          <div>{formatDateTime(tip.startTimeUnixMs)}</div>
          <div class={tip.errorCount ? 'scatter-tip-errors' : 'muted'}>
            {tip.errorCount ? `${tip.errorCount} error${tip.errorCount === 1 ? '' : 's'}` : 'no errors'}
          </div>
        </div>
      )}
    </div>
  )
}

function TraceRow(props: { t: TraceSummary; maxDuration: number }) {
  const t = props.t
  const pct = props.maxDuration > 0 ? Math.max(0.5, (t.durationMs / props.maxDuration) * 100) : 0
  return (
    <li class={`trace-row ${t.errorCount ? 'has-error' : ''}`}>
      <Link href={`/trace/${encodeURIComponent(t.traceId)}`}>
        <div class="trace-row-head">
          <span class="trace-title" title={`${t.rootService}: ${t.rootOperation}`}>
            <span class="svc-dot" style={{ background: serviceColor(t.rootService) }} />
            <b class="trace-svc">{t.rootService}</b>
            <span class="trace-op">: {t.rootOperation}</span>
            <span class="trace-id">{t.traceId.slice(0, 8)}</span>
          </span>
          <span class="trace-duration">{formatDuration(t.durationMs)}</span>
        </div>
        <div class="trace-bar">
          <div style={{ width: `${pct}%`, background: t.errorCount ? '#d62728' : '#8fb0d6' }} />
        </div>
        <div class="trace-row-meta">
          <span>
            {t.spanCount} span{t.spanCount === 1 ? '' : 's'}
          </span>
          {t.errorCount > 0 && (
            <span class="badge badge-error">
              {t.errorCount} error{t.errorCount === 1 ? '' : 's'}
            </span>
          )}
          <span class="svc-chips">
            {t.services.map((s) => (
              <span key={s} class="svc-chip" title={s} style={{ borderColor: serviceColor(s) }}>
                {s}
              </span>
            ))}
          </span>
          <span class="trace-when" title={formatDateTime(t.startTimeUnixMs)}>
            {formatDateTime(t.startTimeUnixMs)} · {formatRelative(t.startTimeUnixMs)}
          </span>
        </div>
      </Link>
    </li>
  )
}

function Results(props: { query: URLSearchParams; seq: number }) {
  const q = props.query
  const key = q.toString()
  const [sort, setSort] = useState<keyof typeof SORTS>('newest')
  const results = useApi(
    (signal) => {
      const { start, end } = resolveRange(q)
      const min = parseDurationMs(q.get('minDuration') ?? '')
      const max = parseDurationMs(q.get('maxDuration') ?? '')
      return api.traces(
        {
          service: q.get('service') ?? undefined,
          operation: q.get('operation') ?? undefined,
          start,
          end,
          minDurationMs: min ?? undefined,
          maxDurationMs: max ?? undefined,
          error: q.get('error') === 'true' ? 'true' : undefined,
          attr: q.getAll('attr'),
          tracestate: q.getAll('tracestate'),
          limit: q.get('limit') ?? 20,
        },
        signal,
      )
    },
    [key, props.seq],
  )
  const services = useApi((s) => api.services(s), [])

  if (results.loading && !results.data) return <Loading what="traces" />
  if (results.error) {
    return (
      <ErrorState
        title="The search failed"
        error={results.error}
        hint={
          results.error.status === 400
            ? 'Fix the field named above and press Find traces again.'
            : 'Check that the collector is running, then press Find traces again.'
        }
      />
    )
  }
  const traces = results.data?.traces ?? []
  if (!traces.length) {
    if (services.data && services.data.services.length === 0) {
      return (
        <EmptyState title="No spans have arrived yet">
          Point a sidecar or an OpenTelemetry SDK at this collector's OTLP endpoint (<code>http://127.0.0.1:4318</code>, gRPC on <code>:4317</code>), e.g.{' '}
          <code>tracecar proxy --exporter otlp --otlp-endpoint http://127.0.0.1:4318</code>, then send some traffic.
        </EmptyState>
      )
    }
    return (
      <EmptyState title="No traces match this search">
        Widen the time range, clear the duration bounds, the attribute filter or "errors only", or pick another service.
      </EmptyState>
    )
  }
  const maxDuration = Math.max(...traces.map((t) => t.durationMs))
  const sorted = [...traces].sort(SORTS[sort])
  return (
    <div class={`results ${results.loading ? 'refreshing' : ''}`}>
      <Scatter traces={traces} />
      <div class="results-head">
        <span>
          <b>{traces.length}</b> trace{traces.length === 1 ? '' : 's'}
        </span>
        <label>
          Sort
          <select value={sort} onChange={(e) => setSort(e.currentTarget.value as keyof typeof SORTS)}>
            <option value="newest">Most recent</option>
            <option value="longest">Longest first</option>
            <option value="shortest">Shortest first</option>
            <option value="spans">Most spans</option>
          </select>
        </label>
      </div>
      <ul class="trace-list" data-testid="trace-list">
        {sorted.map((t) => (
          <TraceRow key={t.traceId} t={t} maxDuration={maxDuration} />
        ))}
      </ul>
    </div>
  )
}

export function SearchPage(props: { query: URLSearchParams; seq: number }) {
  return (
    <div class="search-page">
      <aside class="sidebar">
        <SearchForm query={props.query} />
      </aside>
      <section class="search-results">
        <Results query={props.query} seq={props.seq} />
      </section>
    </div>
  )
}
