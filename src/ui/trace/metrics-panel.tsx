// The RED metrics of a service for ±30 minutes around the trace, with the trace's moment marked:
// was the service struggling then, or is this trace an outlier?
import { useMemo } from 'preact/hooks'
import type uPlot from 'uplot'
import { markerPlugin, UPlotChart } from '../charts/uplot-chart'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { MetricsSeries } from '../lib/api-types'
import { formatDuration, formatPercent, formatRate, formatTime } from '../lib/format'
import { useApi } from '../lib/use-api'

const WINDOW_MS = 30 * 60_000
/** Buckets without requests have no error rate or latency: a lone bucket must still show as a dot. */
const sparsePoints = (fill: string): uPlot.Series.Points => ({ show: true, size: 6, fill })

function chartOptions(title: string, traceMs: number, series: uPlot.Series[], fmt: (v: number) => string, yMin0 = true): Omit<uPlot.Options, 'width'> {
  return {
    title,
    height: 130,
    legend: { show: series.length > 1, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: yMin0 ? { range: (_u, _min, max) => [0, max > 0 ? max * 1.25 : 1] } : {} },
    axes: [
      { stroke: '#555', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' }, font: '11px system-ui' },
      { stroke: '#555', grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' }, size: 56, font: '11px system-ui', values: (_u, vals) => vals.map(fmt) },
    ],
    series: [{}, ...series],
    plugins: [markerPlugin(traceMs / 1000, 'this trace')],
  }
}

export function MetricsPanel(props: { service: string; operation?: string; traceStartMs: number }) {
  const start = props.traceStartMs - WINDOW_MS
  const end = props.traceStartMs + WINDOW_MS
  const series = useApi(
    (signal) => api.metricsSeries({ service: props.service, operation: props.operation, start, end }, signal),
    [props.service, props.operation, props.traceStartMs],
  )
  const charts = useMemo(() => (series.data ? buildCharts(series.data, props.traceStartMs) : null), [series.data])
  const around = `${formatTime(start)} – ${formatTime(end)}`

  let body
  if (series.loading && !series.data) body = <Loading what="metrics" />
  else if (series.error && series.error.status === 404) {
    body = (
      <EmptyState title="No metrics yet">
        This collector does not serve RED metrics (<code>/api/metrics/series</code> answered 404). They are derived
        from spans as they arrive once the metrics module is enabled; traces and logs work without it.
      </EmptyState>
    )
  } else if (series.error) body = <ErrorState title="Could not load metrics" error={series.error} hint="Check that the collector is running and try again." />
  else if (!charts) {
    body = (
      <EmptyState title={`No requests recorded for ${props.service} around this trace`}>
        Nothing was counted between {around}. Metrics are derived from spans as they arrive, so spans stored before
        the metrics module ran do not appear here.
      </EmptyState>
    )
  } else {
    body = (
      <div class="metrics-charts" data-testid="metrics-charts">
        <UPlotChart options={charts.rate.options} data={charts.rate.data} />
        <UPlotChart options={charts.errors.options} data={charts.errors.data} />
        <UPlotChart options={charts.latency.options} data={charts.latency.data} />
      </div>
    )
  }
  return (
    <div class="metrics-panel" data-testid="metrics-panel">
      <p class="panel-caption"><b>{props.service}</b>{props.operation ? <> · {props.operation}</> : null} · {around} (±30 min)</p>
      {body}
    </div>
  )
}

function buildCharts(m: MetricsSeries, traceMs: number) {
  const pts = [...m.points].sort((a, b) => a.t - b.t)
  if (!pts.length) return null
  const xs = pts.map((p) => p.t / 1000)
  return {
    rate: {
      options: chartOptions('Request rate', traceMs, [{ label: 'req/s', stroke: '#4e79a7', fill: '#4e79a722', width: 1.5 }], formatRate),
      data: [xs, pts.map((p) => p.ratePerSec)] as uPlot.AlignedData,
    },
    errors: {
      options: chartOptions('Error rate', traceMs, [{ label: 'errors', stroke: '#d62728', fill: '#d6272822', width: 1.5, points: sparsePoints('#d62728') }], formatPercent),
      data: [xs, pts.map((p) => (p.requests ? p.errorRate : null))] as uPlot.AlignedData,
    },
    latency: {
      options: chartOptions('Duration', traceMs, [
        { label: 'p50', stroke: '#59a14f', width: 1.5, points: sparsePoints('#59a14f') },
        { label: 'p99', stroke: '#f28e2b', width: 1.5, points: sparsePoints('#f28e2b') },
      ], formatDuration),
      data: [xs, pts.map((p) => p.p50Ms), pts.map((p) => p.p99Ms)] as uPlot.AlignedData,
    },
  }
}
