// Two traces side by side (/compare/:traceA/:traceB), usually a slow and a fast request of the
// same operation: per service and operation, the span count and self time in each trace and the
// difference, the biggest difference (either way) first. The figures come from
// src/trace-analysis/compare-traces.ts, the same self time the trace page and the load report use.
import { useMemo } from 'preact/hooks'
import { compareTraces } from '../../trace-analysis/compare-traces'
import { Link } from '../components/link'
import { EmptyState, ErrorState, Loading } from '../components/states'
import { api } from '../lib/api'
import type { Span, TraceResponse } from '../../query-api/query-api-types'
import { formatDateTime, formatDuration } from '../lib/format'
import { serviceColor } from '../lib/service-colors'
import { useApi } from '../lib/use-api'

/** The span the trace is named after: its longest span without a parent in the trace. */
function rootOf(spans: Span[]): Span | undefined {
  const ids = new Set(spans.map((s) => s.spanId))
  let root: Span | undefined
  for (const s of spans) {
    const isRoot = !s.parentSpanId || !ids.has(s.parentSpanId)
    if (isRoot && (!root || s.durationMs > root.durationMs)) root = s
  }
  return root
}

function signedDuration(ms: number): string {
  if (ms === 0) return '0ms'
  return `${ms > 0 ? '+' : '−'}${formatDuration(Math.abs(ms))}`
}

function TraceCard(props: { label: 'A' | 'B'; traceId: string; trace: TraceResponse; durationMs: number }) {
  const root = rootOf(props.trace.spans)
  const start = Math.min(...props.trace.spans.map((s) => s.startTimeUnixMs))
  return (
    <div class="compare-card" data-testid={`compare-trace-${props.label}`}>
      <span class="compare-label">{props.label}</span>
      {root && <span class="svc-dot" style={{ background: serviceColor(root.service) }} />}
      <span>
        <b>{root?.service}</b>: {root?.name}
      </span>
      <Link href={`/trace/${encodeURIComponent(props.traceId)}`} class="mono small">
        {props.traceId}
      </Link>
      <span class="muted small">
        {formatDateTime(start)} · <b>{formatDuration(props.durationMs)}</b> · {props.trace.spans.length} spans
      </span>
    </div>
  )
}

export function ComparePage(props: { traceA: string; traceB: string }) {
  const a = useApi((signal) => api.trace(props.traceA, signal), [props.traceA])
  const b = useApi((signal) => api.trace(props.traceB, signal), [props.traceB])
  const comparison = useMemo(() => (a.data && b.data ? compareTraces(a.data.spans, b.data.spans) : null), [a.data, b.data])

  for (const [label, id, state] of [
    ['A', props.traceA, a],
    ['B', props.traceB, b],
  ] as const) {
    if (state.error) {
      return (
        <div class="page-message">
          {state.error.status === 404 ? (
            <EmptyState title={`Trace ${label} (${id}) was not found`}>
              It may not have arrived yet, or it is older than the collector's retention. <Link href="/search">Search for traces</Link>.
            </EmptyState>
          ) : (
            <ErrorState title={`Could not load trace ${label}`} error={state.error} hint="Check that the collector is running and reload." />
          )}
        </div>
      )
    }
  }
  if (!a.data || !b.data || !comparison)
    return (
      <div class="page-message">
        <Loading what="both traces" />
      </div>
    )

  const rootA = rootOf(a.data.spans)
  const rootB = rootOf(b.data.spans)
  const sameOperation = rootA && rootB && rootA.service === rootB.service && rootA.name === rootB.name
  const durationDiff = comparison.durationMsB - comparison.durationMsA
  return (
    <div class="page compare-page">
      <div class="page-head">
        <h2>Compare traces</h2>
        <Link href={`/compare/${encodeURIComponent(props.traceB)}/${encodeURIComponent(props.traceA)}`} class="small-button">
          Swap A and B
        </Link>
      </div>
      <div class="compare-cards">
        <TraceCard label="A" traceId={props.traceA} trace={a.data} durationMs={comparison.durationMsA} />
        <TraceCard label="B" traceId={props.traceB} trace={b.data} durationMs={comparison.durationMsB} />
      </div>
      {!sameOperation && (
        <p class="notice" role="note">
          These traces are of different operations ({rootA?.service}: {rootA?.name} and {rootB?.service}: {rootB?.name}): the differences below say how two
          different requests spent their time, not what changed in one.
        </p>
      )}
      <p class="muted small" data-testid="compare-summary">
        B took <b>{signedDuration(durationDiff)}</b> {durationDiff >= 0 ? 'more' : 'less'} than A. Self time is each span's duration minus the time its child
        spans cover, so a row's difference is time that service spent on its own, not time it waited for others.
      </p>
      <table class="data-table compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th>Service · operation</th>
            <th class="num">Spans A</th>
            <th class="num">Spans B</th>
            <th class="num">Self A</th>
            <th class="num">Self B</th>
            <th class="num" aria-sort="descending">
              Difference (B − A) ▼
            </th>
          </tr>
        </thead>
        <tbody>
          {comparison.rows.map((r) => (
            <tr key={`${r.service}\u0000${r.operation}`}>
              <td>
                <span class="svc-dot" style={{ background: serviceColor(r.service) }} />
                <b>{r.service}</b> <span class="stats-op">{r.operation}</span>
              </td>
              <td class="num">{r.countA}</td>
              <td class={`num ${r.countA !== r.countB ? 'warn' : ''}`}>{r.countB}</td>
              <td class="num">{formatDuration(r.selfMsA)}</td>
              <td class="num">{formatDuration(r.selfMsB)}</td>
              <td class={`num ${r.selfDiffMs > 0 ? 'compare-slower' : r.selfDiffMs < 0 ? 'compare-faster' : ''}`}>{signedDuration(r.selfDiffMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
