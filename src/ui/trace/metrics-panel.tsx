// The RED metrics of a service around the trace (±5 min, ±30 min or ±2 h, `around=` in the URL),
// with the trace's moment marked: was the service struggling then, or is this trace an outlier?
// The charts end at now, the bucket still filling is drawn apart (red-chart-data.ts), and each
// chart's key sits above its plot, never on the data.
import type { ComponentChildren } from 'preact'
import { useMemo } from 'preact/hooks'
import type uPlot from 'uplot'
import { METRICS_WINDOWS, metricsWindow, type RedChartData, redChartData } from '../charts/red-chart-data'
import { markerPlugin, UPlotChart } from '../charts/uplot-chart'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import { formatDuration, formatPercent, formatRate, formatTime } from '../lib/format'
import { navigate, useLocation } from '../lib/router'
import { useApi } from '../lib/use-api'
import { Segmented } from '../components/segmented'

const TRACE_MARK = '#d62728'
/** Buckets without requests have no error rate or latency: a lone bucket must still show as a dot. */
const sparsePoints = (fill: string): uPlot.Series.Points => ({ show: true, size: 6, fill })

/** The dashed, hollow continuation to the bucket still filling: only its own point is drawn. */
function unfinishedSeries(stroke: string, data: RedChartData): uPlot.Series {
  const last = data.xs.length - 1
  return { label: 'unfinished', stroke, width: 1.5, dash: [4, 4], points: { show: true, size: 7, fill: '#fff', stroke, width: 1.5, filter: () => [last] } }
}

function chartOptions(
  range: [number, number],
  traceMs: number,
  series: uPlot.Series[],
  fmt: (v: number) => string,
  yMin0 = true,
): Omit<uPlot.Options, 'width'> {
  return {
    height: 120,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range: () => range }, y: yMin0 ? { range: (_u, _min, max) => [0, max > 0 ? max * 1.25 : 1] } : {} },
    axes: [{ font: '11px system-ui' }, { size: 56, font: '11px system-ui', values: (_u, vals) => vals.map(fmt) }],
    series: [{}, ...series],
    plugins: [markerPlugin(traceMs / 1000, '', TRACE_MARK)],
  }
}

function ChartKey(props: { items: { label: string; color: string; kind: 'line' | 'dot' | 'unfinished' | 'marker'; title?: string }[] }) {
  return (
    <span class="chart-key" data-testid="chart-key">
      {props.items.map((it) => (
        <span key={it.label} class="chart-key-item" title={it.title}>
          <i class={`key-${it.kind}`} style={{ borderColor: it.color, background: it.kind === 'line' || it.kind === 'dot' ? it.color : undefined }} />
          {it.label}
        </span>
      ))}
    </span>
  )
}

function Chart(props: { title: string; keys: ComponentChildren; options: Omit<uPlot.Options, 'width'>; data: uPlot.AlignedData }) {
  return (
    <div class="red-chart" data-testid="red-chart">
      <div class="red-chart-head">
        <b>{props.title}</b>
        {props.keys}
      </div>
      <UPlotChart options={props.options} data={props.data} />
    </div>
  )
}

export function MetricsPanel(props: { service: string; operation?: string; traceStartMs: number }) {
  const loc = useLocation()
  const win = metricsWindow(loc.query.get('around'))
  // Fixed per window: "now" is when the panel asked, so the axis and the answer agree.
  const range = useMemo(() => {
    const start = props.traceStartMs - win.ms
    const end = Math.min(props.traceStartMs + win.ms, Date.now())
    return { start, end: Math.max(end, start + 1000), toNow: props.traceStartMs + win.ms > end }
  }, [props.traceStartMs, win.ms])
  const series = useApi(
    (signal) => api.metricsSeries({ service: props.service, operation: props.operation, start: range.start, end: range.end }, signal),
    [props.service, props.operation, range],
  )
  // eslint-disable-next-line react-hooks/exhaustive-deps -- range is derived from traceStartMs, so a new start gives a new range
  const charts = useMemo(() => (series.data ? buildCharts(series.data, props.traceStartMs, range) : null), [series.data, range])
  const around = `${formatTime(range.start)} – ${range.toNow ? `now (${formatTime(range.end)})` : formatTime(range.end)}`
  const setWindow = (value: string) => {
    const next = new URLSearchParams(window.location.search)
    next.set('around', value)
    navigate(`${window.location.pathname}?${next.toString()}`, { replace: true })
  }

  let body
  if (series.loading && !series.data) body = <Loading what="metrics" />
  else if (series.error && series.error.status === 404) {
    body = (
      <EmptyState title="No metrics yet">
        This collector does not serve RED metrics (<code>/api/metrics/series</code> answered 404). They are derived from spans as they arrive once the metrics
        module is enabled; traces and logs work without it.
      </EmptyState>
    )
  } else if (series.error) body = <ErrorState title="Could not load metrics" error={series.error} hint="Check that the collector is running and try again." />
  else if (!charts) {
    body = (
      <EmptyState title={`No requests recorded for ${props.service} around this trace`}>
        Nothing was counted between {around}. Metrics are derived from spans as they arrive, so spans stored before the metrics module ran do not appear here.
      </EmptyState>
    )
  } else {
    const trace = { label: 'this trace', color: TRACE_MARK, kind: 'marker' as const }
    const unfinished =
      charts.unfinishedFromMs !== null
        ? {
            label: 'still filling',
            color: '#555',
            kind: 'unfinished' as const,
            title: `The last bucket (from ${formatTime(charts.unfinishedFromMs)}, ${formatDuration(charts.stepMs)} wide) has not ended: its figures are partial, and it has no error rate yet`,
          }
        : null
    const withUnfinished = <T,>(items: T[]) => (unfinished ? [...items, unfinished] : items)
    body = (
      <div class="metrics-charts" data-testid="metrics-charts">
        <Chart
          title="Request rate"
          options={charts.rate.options}
          data={charts.rate.data}
          keys={<ChartKey items={withUnfinished([{ label: 'req/s', color: '#4e79a7', kind: 'line' as const }, trace])} />}
        />
        <Chart
          title="Error rate"
          options={charts.errors.options}
          data={charts.errors.data}
          keys={<ChartKey items={[{ label: 'errors', color: '#d62728', kind: 'dot' as const }, trace]} />}
        />
        <Chart
          title="Duration"
          options={charts.latency.options}
          data={charts.latency.data}
          keys={
            <ChartKey
              items={withUnfinished([
                { label: 'p50', color: '#59a14f', kind: 'line' as const },
                { label: 'p99', color: '#f28e2b', kind: 'line' as const },
                trace,
              ])}
            />
          }
        />
        {unfinished && (
          <p class="muted small" data-testid="unfinished-note">
            The last bucket, from {formatTime(charts.unfinishedFromMs!)}, is still filling: drawn dashed and hollow, and left out of the error rate.
          </p>
        )}
      </div>
    )
  }
  return (
    <div class="metrics-panel" data-testid="metrics-panel">
      <div class="panel-toolbar">
        <p class="panel-caption">
          <b>{props.service}</b>
          {props.operation ? <> · {props.operation}</> : null} · {around} ({win.label})
        </p>
        <Segmented label="Window around the trace" options={METRICS_WINDOWS} value={win.value} onSelect={setWindow} />
      </div>
      {body}
    </div>
  )
}

function buildCharts(m: Parameters<typeof redChartData>[0], traceMs: number, range: { start: number; end: number }) {
  const d = redChartData(m, range.end)
  if (!d) return null
  const x: [number, number] = [range.start / 1000, range.end / 1000]
  return {
    unfinishedFromMs: d.unfinishedFromMs,
    stepMs: d.stepMs,
    rate: {
      options: chartOptions(
        x,
        traceMs,
        [{ label: 'req/s', stroke: '#4e79a7', fill: '#4e79a722', width: 1.5, points: { show: false } }, unfinishedSeries('#4e79a7', d)],
        formatRate,
      ),
      data: [d.xs, d.rate, d.rateUnfinished] as uPlot.AlignedData,
    },
    errors: {
      options: chartOptions(
        x,
        traceMs,
        [{ label: 'errors', stroke: '#d62728', fill: '#d6272822', width: 1.5, points: sparsePoints('#d62728') }],
        formatPercent,
      ),
      data: [d.xs, d.errorRate] as uPlot.AlignedData,
    },
    latency: {
      options: chartOptions(
        x,
        traceMs,
        [
          { label: 'p50', stroke: '#59a14f', width: 1.5, points: sparsePoints('#59a14f') },
          { label: 'p99', stroke: '#f28e2b', width: 1.5, points: sparsePoints('#f28e2b') },
          unfinishedSeries('#59a14f', d),
          unfinishedSeries('#f28e2b', d),
        ],
        formatDuration,
      ),
      data: [d.xs, d.p50, d.p99, d.p50Unfinished, d.p99Unfinished] as uPlot.AlignedData,
    },
  }
}
