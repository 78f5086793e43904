// A big trace's first rows, drawn from the compact answer before the model of the whole trace is
// built (a 100,000-span trace's decode and model take longer than its fetch): the spans that fill
// the first screen, with everything their rows show (depth, self time, error marks) taken from
// the whole trace's columns, in the waterfall the page then draws in full.
import { useState } from 'preact/hooks'
import type { CompactTraceResponse } from '../../query-api/query-api-types'
import { Loading } from '../components/states'
import { TraceHeading } from './trace-heading'
import { decodeCompactSpans } from './span-head'
import { buildTraceModel, type TraceModel } from './trace-model'
import { ViewportStore, Waterfall } from './waterfall'

/** Above this many spans the page draws the first rows before building the whole trace's model. */
export const FIRST_ROWS_ABOVE_SPANS = 5_000
/** Rows drawn first: more than a tall screen shows. */
const FIRST_ROWS = 80
const NONE = new Set<never>()

/**
 * The model of the first `rows` spans (in display order, so with all their ancestors) and of
 * their children: a row's self time and its expand toggle read its children, which may lie far
 * below it in the columns. Only the first `rows` are drawn.
 */
export function firstRowsModel(c: CompactTraceResponse, rows: number): { model: TraceModel; rows: number; endMs: number } | undefined {
  const n = c.spanId.length
  const head = Math.min(rows, n)
  // The compact answer is in display order: a span's parent comes before it. When it is not (a
  // parent cycle, shown at the end), undefined: the rows wait for the whole model.
  const positions: number[] = []
  for (let i = 0; i < head; i++) positions.push(i)
  let endNs = 0
  const errorBelow = new Uint8Array(n)
  for (let i = n - 1; i >= 0; i--) {
    const p = c.parent[i]!
    endNs = Math.max(endNs, c.startOffsetNs[i]! + c.durationNs[i]!)
    if (p >= i) return undefined
    if (p >= 0 && (errorBelow[i] || c.statusCode[i] === 2)) errorBelow[p] = 1
    if (p >= 0 && p < head && i >= head) positions.push(i)
  }
  positions.sort((a, b) => a - b)
  const model = buildTraceModel(decodeCompactSpans(c, positions), { partial: true })
  // Whether a failing span's error starts there, from every span below it, not only its children.
  for (let i = 0; i < head; i++) {
    const node = model.nodes[i]!
    node.childError = errorBelow[i] === 1
    node.errorOrigin = node.error && !node.childError
  }
  return { model, rows: head, endMs: c.startTimeUnixMs + endNs / 1e6 }
}

/** The page while the whole trace's model is built: its heading and first rows. */
export function FirstRows(props: { traceId: string; data: CompactTraceResponse; selectedId: string | null; onSelect: (spanId: string) => void }) {
  const [first] = useState(() => firstRowsModel(props.data, FIRST_ROWS))
  const [viewport] = useState(() => new ViewportStore())
  const root = first?.model.nodes[0]
  if (first === undefined || root === undefined) return <Loading what={`trace ${props.traceId}`} />
  const { model } = first
  return (
    <div class="trace-page">
      <div class="trace-header">
        <TraceHeading service={root.span.service} name={root.span.name} traceId={props.traceId} />
      </div>
      <div class="trace-body">
        <Waterfall
          model={model}
          rows={model.nodes.slice(0, first.rows)}
          spanCount={props.data.spanId.length}
          view={{ start: props.data.startTimeUnixMs, end: first.endMs }}
          selectedId={props.selectedId}
          collapsed={NONE}
          onSelect={props.onSelect}
          onToggle={() => {}}
          viewport={viewport}
          scrollTo={null}
          matches={NONE}
        />
        <aside class="side-panel" aria-label="Span details, logs and metrics">
          <Loading what={`the rest of ${props.data.spanId.length} spans`} />
        </aside>
      </div>
    </div>
  )
}
