// Where the trace's time went, as a table: its spans grouped by service or by operation, with
// how many there were, their summed duration, their summed self time and that self time's share
// of the trace. Self time is what answers "who was slow": a parent waiting on its children has
// a long duration but little self time. Grouping and sort live in the URL like the other view state.
import { useMemo } from 'preact/hooks'
import { traceStatistics, type TraceStatRow } from '../../trace-analysis/self-time'
import { formatDuration, formatPercent } from '../lib/format'
import { serviceColor } from '../lib/service-colors'
import type { TraceModel } from './trace-model'
import { Segmented } from '../components/segmented'

export type StatsGroup = 'service' | 'operation'

const GROUPINGS: { value: StatsGroup; label: string }[] = [
  { value: 'service', label: 'By service' },
  { value: 'operation', label: 'By operation' },
]

export type StatsColumn = 'name' | 'count' | 'total' | 'self' | 'share'
export interface StatsSort {
  column: StatsColumn
  descending: boolean
}

const COLUMNS: StatsColumn[] = ['name', 'count', 'total', 'self', 'share']

/** `sort=-self` (the default: biggest self time first), `sort=count`, … */
export function parseStatsSort(text: string | null): StatsSort {
  const name = (text ?? '').replace(/^-/, '')
  const column = COLUMNS.find((c) => c === name)
  return column && text ? { column, descending: text.startsWith('-') } : { column: 'self', descending: true }
}

export function formatStatsSort(sort: StatsSort): string {
  return `${sort.descending ? '-' : ''}${sort.column}`
}

function compare(column: StatsColumn): (a: TraceStatRow, b: TraceStatRow) => number {
  switch (column) {
    case 'name':
      return (a, b) => a.service.localeCompare(b.service) || (a.operation ?? '').localeCompare(b.operation ?? '')
    case 'count':
      return (a, b) => a.count - b.count
    case 'total':
      return (a, b) => a.totalMs - b.totalMs
    case 'self':
      return (a, b) => a.selfMs - b.selfMs
    case 'share':
      return (a, b) => a.shareOfTrace - b.shareOfTrace
  }
}

export function TraceStats(props: {
  model: TraceModel
  group: StatsGroup
  sort: StatsSort
  onChange: (change: { group?: StatsGroup; sort?: StatsSort }) => void
}) {
  const { model, group, sort } = props
  const rows = useMemo(() => {
    const self = new Map(model.nodes.map((n) => [n.span.spanId, n.selfMs]))
    const list = traceStatistics(
      model.nodes.map((n) => n.span),
      group,
      self,
    )
    const byName = compare('name')
    const by = compare(sort.column)
    return list.sort((a, b) => (sort.descending ? by(b, a) : by(a, b)) || byName(a, b))
  }, [model, group, sort.column, sort.descending])

  const header = (column: StatsColumn, label: string, numeric: boolean) => {
    const on = sort.column === column
    // A first click sorts numbers biggest first and names A to Z; a second click reverses.
    const next: StatsSort = on ? { column, descending: !sort.descending } : { column, descending: column !== 'name' }
    return (
      <th class={numeric ? 'num' : ''} aria-sort={on ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
        <button type="button" class="sort-button" onClick={() => props.onChange({ sort: next })}>
          {label}
          {on ? (sort.descending ? ' ▼' : ' ▲') : ''}
        </button>
      </th>
    )
  }

  return (
    <div class="trace-stats" data-testid="trace-stats">
      <div class="panel-toolbar">
        <Segmented label="Group spans by" options={GROUPINGS} value={group} onSelect={(g) => props.onChange({ group: g })} />
        <span class="muted small">
          Self time: a span's duration minus the time its child spans cover. % of trace: self time over the trace's {formatDuration(model.durationMs)}.
        </span>
      </div>
      <table class="data-table">
        <thead>
          <tr>
            {header('name', group === 'service' ? 'Service' : 'Service · operation', false)}
            {header('count', 'Spans', true)}
            {header('total', 'Total', true)}
            {header('self', 'Self', true)}
            {header('share', '% of trace (self)', true)}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.service}\u0000${r.operation ?? ''}`}>
              <td>
                <span class="svc-dot" style={{ background: serviceColor(r.service) }} />
                <b>{r.service}</b>
                {r.operation !== null && <span class="stats-op"> {r.operation}</span>}
              </td>
              <td class="num">{r.count}</td>
              <td class="num">{formatDuration(r.totalMs)}</td>
              <td class="num">{formatDuration(r.selfMs)}</td>
              <td class="num">
                <span class="share-bar">
                  <i style={{ width: `${Math.min(100, r.shareOfTrace * 100)}%`, background: serviceColor(r.service) }} />
                </span>
                {formatPercent(r.shareOfTrace)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
