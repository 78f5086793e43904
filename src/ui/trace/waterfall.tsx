// The waterfall: one row per visible span, nested by parent, bars placed on the trace's time
// axis (or the zoomed window picked in the minimap). Virtualised: only the rows in the viewport
// (plus a few either side) exist in the DOM, so 10,000 spans scroll like 10.
import { Component, type JSX } from 'preact'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { formatDuration } from '../lib/format'
import { serviceColor } from '../lib/service-colors'
import { isException } from './exception-event'
import { markCriticalPath, type SpanNode, type TraceModel } from './trace-model'

export const ROW_HEIGHT = 24
const OVERSCAN = 12
const INDENT_PX = 14
/** Deeper nesting than this stops indenting further: the depth is printed instead. */
const MAX_INDENT_DEPTH = 24

export interface TimeWindow {
  start: number
  end: number
}

/** The rows in view, shared between the waterfall (writer) and the minimap (reader). */
export class ViewportStore {
  first = 0
  count = 20
  private readonly listeners = new Set<() => void>()

  set(first: number, count: number): void {
    if (first === this.first && count === this.count) return
    this.first = first
    this.count = count
    for (const l of this.listeners) l()
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }
}

export interface WaterfallProps {
  model: TraceModel
  rows: SpanNode[]
  view: TimeWindow
  selectedId: string | null
  collapsed: ReadonlySet<string>
  onSelect: (spanId: string) => void
  onToggle: (spanId: string) => void
  /** told which rows are in view; not React state, so scrolling re-renders only the waterfall */
  viewport: ViewportStore
  /** scroll so this row is visible; `seq` changes on every request */
  scrollTo: { index: number; seq: number } | null
  /** spans matching the find box, highlighted */
  matches: ReadonlySet<SpanNode>
  /** the trace's spans, when the model holds only its first rows (trace/first-rows.tsx) */
  spanCount?: number
}

/** Five time labels across the lane, from the trace's start (the flame graph uses them too). */
export function Ticks(props: { view: TimeWindow; traceStart: number }) {
  const n = 5
  const span = props.view.end - props.view.start
  return (
    <div class="wf-ticks">
      {Array.from({ length: n }, (_, i) => {
        const pct = (i / (n - 1)) * 100
        const label = formatDuration(props.view.start - props.traceStart + (span * i) / (n - 1))
        return (
          <span key={i} class="wf-tick" style={{ left: `${pct}%` }}>
            <span class={i === n - 1 ? 'wf-tick-label last' : 'wf-tick-label'}>{label}</span>
          </span>
        )
      })}
    </div>
  )
}

interface RowProps {
  node: SpanNode
  index: number
  view: TimeWindow
  selected: boolean
  collapsed: boolean
  matched: boolean
  /** whether the model's critical path is marked yet (a big trace's comes after its first rows) */
  criticalMarked: boolean
  onSelect: (id: string) => void
  onToggle: (id: string) => void
}

/** Rows that only moved in or out of the overscan are not re-rendered while scrolling. */
class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props
    return (
      p.node !== next.node ||
      p.index !== next.index ||
      p.view !== next.view ||
      p.selected !== next.selected ||
      p.matched !== next.matched ||
      p.collapsed !== next.collapsed ||
      p.criticalMarked !== next.criticalMarked ||
      p.onSelect !== next.onSelect ||
      p.onToggle !== next.onToggle
    )
  }

  override render() {
    return renderRow(this.props)
  }
}

function renderRow(props: RowProps) {
  const { node, view } = props
  const s = node.span
  const width = view.end - view.start || 1
  const leftPct = ((s.startTimeUnixMs - view.start) / width) * 100
  const widthPct = Math.max(((s.endTimeUnixMs - s.startTimeUnixMs) / width) * 100, 0)
  const endPct = leftPct + widthPct
  const color = serviceColor(s.service)
  const depth = Math.min(node.depth, MAX_INDENT_DEPTH)
  const hasChildren = node.children.length > 0
  // The duration label goes right of the bar, else left of it, else (a bar filling the lane from
  // its start) inside the bar's right end.
  const labelPlace = endPct < 78 ? 'right' : leftPct > 14 ? 'left' : 'inside'
  const cls = ['wf-row']
  if (props.selected) cls.push('selected')
  if (props.matched) cls.push('matched')
  if (node.error) cls.push('error')
  if (props.index % 2) cls.push('odd')
  return (
    <div
      class={cls.join(' ')}
      style={{ top: `${props.index * ROW_HEIGHT}px` }}
      data-span-id={s.spanId}
      data-depth={node.depth}
      role="row"
      aria-rowindex={props.index + 1}
      aria-selected={props.selected}
      onClick={() => props.onSelect(s.spanId)}
    >
      <div class="wf-name" title={`${s.service}: ${s.name}`}>
        <span class="wf-indent" style={{ width: `${depth * INDENT_PX}px` }} />
        {hasChildren ? (
          <button
            type="button"
            class="wf-toggle"
            aria-expanded={!props.collapsed}
            aria-label={props.collapsed ? `Expand ${node.descendantCount} spans` : 'Collapse'}
            onClick={(e) => {
              e.stopPropagation()
              props.onToggle(s.spanId)
            }}
          >
            {props.collapsed ? '▸' : '▾'}
          </button>
        ) : (
          <span class="wf-toggle-space" />
        )}
        <span class="wf-svc-mark" style={{ background: color }} />
        {node.depth > MAX_INDENT_DEPTH && <span class="wf-depth">↳{node.depth}</span>}
        <span class="wf-svc">{s.service}</span>
        <span class="wf-op">{s.name}</span>
        {s.callTarget && <span class="wf-target">→ {s.callTarget}</span>}
        {node.error && (
          <span
            class={`wf-err-icon ${node.errorOrigin ? 'origin' : ''}`}
            title={`${node.errorOrigin ? 'The error starts here' : 'Error (passed on from a span below)'}${s.status.message ? `: ${s.status.message}` : ''}`}
          >
            !
          </span>
        )}
        {props.collapsed && <span class={`wf-hidden ${node.childError ? 'with-error' : ''}`}>+{node.descendantCount}</span>}
      </div>
      <div class="wf-self" title={`self time ${formatDuration(node.selfMs)}: ${s.service} working on its own, outside its child spans`}>
        {formatDuration(node.selfMs)}
      </div>
      <div class="wf-lane">
        <div
          title={`${s.service}: ${s.name} · ${formatDuration(s.durationMs)}, self ${formatDuration(node.selfMs)}`}
          class={`wf-bar ${node.critical ? 'critical' : ''} ${node.error ? 'error' : ''}`}
          style={{ left: `${leftPct}%`, width: `${widthPct}%`, background: node.error ? '#d62728' : color }}
          data-testid="span-bar"
        >
          {node.criticalSegments.map((seg, i) => (
            <i
              key={`c${i}`}
              class="wf-crit"
              data-testid="critical-segment"
              style={{
                left: `${((seg.startMs - s.startTimeUnixMs) / Math.max(s.durationMs, 1e-9)) * 100}%`,
                width: `${((seg.endMs - seg.startMs) / Math.max(s.durationMs, 1e-9)) * 100}%`,
              }}
            />
          ))}
          {s.events.map((ev, i) => {
            const p = ((ev.timeUnixMs - s.startTimeUnixMs) / Math.max(s.durationMs, 1e-9)) * 100
            return p >= 0 && p <= 100 ? <i key={i} class={isException(ev) ? 'wf-event exception' : 'wf-event'} style={{ left: `${p}%` }} /> : null
          })}
        </div>
        <span
          class={`wf-dur ${labelPlace === 'inside' ? 'inside' : ''}`}
          style={
            labelPlace === 'right'
              ? { left: `calc(${Math.max(endPct, 0)}% + 4px)` }
              : labelPlace === 'left'
                ? { right: `calc(${Math.max(100 - leftPct, 0)}% + 4px)` }
                : { right: `calc(${Math.max(100 - Math.min(endPct, 100), 0)}% + 4px)` }
          }
        >
          {formatDuration(s.durationMs)}
        </span>
      </div>
    </div>
  )
}

export function Waterfall(props: WaterfallProps) {
  const bodyRef = useRef<HTMLDivElement>(null)
  const [scrollTop, setScrollTop] = useState(0)
  // The name column's width is a CSS variable on the waterfall: dragging it re-renders no row.
  const [nameWidth, setNameWidth] = useState(340)
  const startResize = (e: MouseEvent) => {
    e.preventDefault()
    const x0 = e.clientX
    const w0 = nameWidth
    const max = Math.max(200, (bodyRef.current?.clientWidth ?? 800) - 160)
    const move = (ev: MouseEvent) => setNameWidth(Math.min(max, Math.max(160, w0 + ev.clientX - x0)))
    const up = () => {
      window.removeEventListener('mousemove', move)
      window.removeEventListener('mouseup', up)
    }
    window.addEventListener('mousemove', move)
    window.addEventListener('mouseup', up)
  }
  const [viewportHeight, setViewportHeight] = useState(600)
  // The first paint draws only the rows in view (their layout, text shaping above all, is most of a
  // big trace's time to first rows); the rows either side that make scrolling smooth come after it.
  const [overscan, setOverscan] = useState(0)
  useEffect(() => setOverscan(OVERSCAN), [])
  const frame = useRef(0)

  // A big trace's critical path is marked once its first rows are on screen (effects run after
  // the browser paints), then the rows in view are drawn again with their marks.
  const [criticalMarked, setCriticalMarked] = useState(!props.model.criticalPathPending)
  useEffect(() => {
    if (!props.model.criticalPathPending) return setCriticalMarked(true)
    setCriticalMarked(false)
    const timer = setTimeout(() => {
      markCriticalPath(props.model)
      setCriticalMarked(true)
    }, 0)
    return () => clearTimeout(timer)
  }, [props.model])

  useLayoutEffect(() => {
    const el = bodyRef.current
    if (!el) return
    setViewportHeight(el.clientHeight)
    const ro = new ResizeObserver(() => setViewportHeight(el.clientHeight))
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  useEffect(() => {
    const el = bodyRef.current
    if (!el || !props.scrollTo) return
    const top = props.scrollTo.index * ROW_HEIGHT
    if (top < el.scrollTop || top + ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 3)
      setScrollTop(el.scrollTop)
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps -- each jump request (a new seq) scrolls, even to the same row
  }, [props.scrollTo?.seq])

  const onScroll = () => {
    // One state update per frame, however many scroll events arrive.
    if (frame.current) return
    frame.current = requestAnimationFrame(() => {
      frame.current = 0
      if (bodyRef.current) setScrollTop(bodyRef.current.scrollTop)
    })
  }

  const total = props.rows.length
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - overscan)
  const last = Math.min(total, Math.ceil((scrollTop + viewportHeight) / ROW_HEIGHT) + overscan)
  const firstVisible = Math.floor(scrollTop / ROW_HEIGHT)
  const visibleCount = Math.ceil(viewportHeight / ROW_HEIGHT)

  // eslint-disable-next-line react-hooks/exhaustive-deps -- the viewport setter is stable; total makes a new trace report its viewport again
  useEffect(() => props.viewport.set(firstVisible, visibleCount), [firstVisible, visibleCount, total])

  // Rows are keyed by their slot in a ring as long as the longest window drawn: a scroll step gives
  // the rows that came into view the elements of those that left it (their text, classes and
  // positions patched), instead of removing and creating some 17 rows of elements per step, which
  // was most of a step's script time. The DOM order is the ring's; each row says its place.
  const ring = visibleCount + 2 * OVERSCAN + 1
  const rows: (JSX.Element | null)[] = new Array<JSX.Element | null>(ring).fill(null)
  for (let i = first; i < last; i++) {
    const node = props.rows[i]!
    rows[i % ring] = (
      <Row
        key={i % ring}
        node={node}
        index={i}
        view={props.view}
        selected={node.span.spanId === props.selectedId}
        collapsed={props.collapsed.has(node.span.spanId)}
        matched={props.matches.has(node)}
        criticalMarked={criticalMarked}
        onSelect={props.onSelect}
        onToggle={props.onToggle}
      />
    )
  }

  return (
    <div class="waterfall" role="table" aria-label="Spans of the trace" aria-rowcount={total} style={{ '--name-w': `${nameWidth}px` }}>
      <div class="wf-header">
        <div class="wf-name wf-name-head">
          Service &amp; operation{' '}
          <span class="wf-count">
            {total} of {props.spanCount ?? props.model.nodes.length} spans
          </span>
          <span class="wf-resize" title="Drag to resize the name column" onMouseDown={startResize} data-testid="name-resize" />
        </div>
        <div class="wf-self wf-self-head" title="Self time: each span's duration minus the time its child spans cover">
          Self
        </div>
        <div class="wf-lane wf-lane-head">
          <Ticks view={props.view} traceStart={props.model.startMs} />
        </div>
      </div>
      <div class="wf-body" ref={bodyRef} onScroll={onScroll} data-testid="waterfall-body">
        <div class="wf-canvas" style={{ height: `${total * ROW_HEIGHT}px` }}>
          <div class="wf-gridlines">
            {[25, 50, 75].map((p) => (
              <i key={p} style={{ left: `${p}%` }} />
            ))}
          </div>
          {rows}
        </div>
      </div>
    </div>
  )
}
