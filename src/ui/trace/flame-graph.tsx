// The trace as a flame graph: time across, depth down, each span a bar labelled
// "service: operation" in its service's colour, failing spans outlined in red. Everything is drawn
// on one canvas the size of the viewport, and only the depths in view are drawn: a 10,000-span
// trace (or a 10,000-deep chain) costs one canvas, not a DOM node per span. Click selects a span
// (its details open as in the waterfall); double-click zooms the time axis to it.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { formatDuration } from '../lib/format'
import { serviceColor } from '../lib/service-colors'
import type { SpanNode, TraceModel } from './trace-model'
import { type TimeWindow, Ticks } from './waterfall'

export const FLAME_ROW_HEIGHT = 22
const BAR_HEIGHT = FLAME_ROW_HEIGHT - 2
/** Bars narrower than this carry no label (there is no room for one). */
const MIN_LABEL_PX = 28
const ERROR_COLOR = '#d62728'
const SELECTED_COLOR = '#1e40af'
const LABEL_FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'

/** The spans at each depth, by start time: what a row of the flame graph holds. */
export function spansByDepth(model: TraceModel): SpanNode[][] {
  const levels: SpanNode[][] = Array.from({ length: model.maxDepth + 1 }, () => [])
  for (const n of model.nodes) levels[n.depth]!.push(n)
  for (const level of levels) level.sort((a, b) => a.span.startTimeUnixMs - b.span.startTimeUnixMs || a.index - b.index)
  return levels
}

/** Dark text on light service colours, white on dark ones. */
function textColorOn(hex: string): string {
  const v = parseInt(hex.slice(1), 16)
  const luminance = (0.299 * ((v >> 16) & 255) + 0.587 * ((v >> 8) & 255) + 0.114 * (v & 255)) / 255
  return luminance > 0.62 ? '#1d2330' : '#fff'
}

/** The label cut to `maxPx` with an ellipsis, or null when not even a few characters fit. */
function fitLabel(ctx: CanvasRenderingContext2D, label: string, maxPx: number): string | null {
  if (ctx.measureText(label).width <= maxPx) return label
  let n = Math.floor((label.length * maxPx) / ctx.measureText(label).width)
  while (n > 1 && ctx.measureText(label.slice(0, n) + '…').width > maxPx) n--
  return n >= 2 ? label.slice(0, n) + '…' : null
}

export function FlameGraph(props: {
  model: TraceModel
  selectedId: string | null
  onSelect: (spanId: string) => void
  /** spans matching the find box: the others are dimmed while it has text */
  matches: ReadonlySet<SpanNode>
  finding: boolean
}) {
  const { model } = props
  const levels = useMemo(() => spansByDepth(model), [model])
  const colors = useMemo(() => new Map(model.services.map((s) => [s, serviceColor(s)])), [model])
  const full: TimeWindow = { start: model.startMs, end: model.endMs > model.startMs ? model.endMs : model.startMs + 1 }
  const [view, setView] = useState<TimeWindow>(full)
  const zoomed = view.start > full.start || view.end < full.end
  const scrollRef = useRef<HTMLDivElement>(null)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const [size, setSize] = useState({ width: 800, height: 400 })
  const [scrollTop, setScrollTop] = useState(0)
  const [hover, setHover] = useState<{ node: SpanNode; x: number; y: number } | null>(null)
  const frame = useRef(0)

  useLayoutEffect(() => {
    const el = scrollRef.current
    if (!el) return
    const measure = () => setSize({ width: el.clientWidth, height: el.clientHeight })
    measure()
    const ro = new ResizeObserver(measure)
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  const totalHeight = levels.length * FLAME_ROW_HEIGHT
  const canvasHeight = Math.max(1, Math.min(size.height, totalHeight))

  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas) return
    const dpr = window.devicePixelRatio || 1
    const w = size.width
    // Resizing the backing store reallocates it: only when the size really changed.
    if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr)
    if (canvas.height !== Math.round(canvasHeight * dpr)) canvas.height = Math.round(canvasHeight * dpr)
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    ctx.clearRect(0, 0, w, canvasHeight)
    ctx.font = LABEL_FONT
    ctx.textBaseline = 'middle'
    const msPerPx = (view.end - view.start) / Math.max(w, 1)
    const firstDepth = Math.max(0, Math.floor(scrollTop / FLAME_ROW_HEIGHT))
    const lastDepth = Math.min(levels.length - 1, Math.floor((scrollTop + canvasHeight) / FLAME_ROW_HEIGHT))
    let drawn = 0
    let selected: { x: number; y: number; bw: number } | null = null
    let fill = ''
    let alpha = 1
    ctx.globalAlpha = 1
    for (let d = firstDepth; d <= lastDepth; d++) {
      const y = d * FLAME_ROW_HEIGHT - scrollTop + 1
      // A bar that lies wholly on pixels already painted in its row (one thinner than a pixel,
      // beside others) is skipped: a dense row costs one fill per pixel column, not one per span.
      let paintedTo = -Infinity
      for (const n of levels[d]!) {
        const s = n.span
        if (s.endTimeUnixMs < view.start || s.startTimeUnixMs > view.end) continue
        // Whole pixels: no anti-aliased edges to blend, which is most of a fill's cost.
        const x = Math.round((s.startTimeUnixMs - view.start) / msPerPx)
        const bw = Math.max(Math.round((s.endTimeUnixMs - view.start) / msPerPx) - x, 1)
        const isSelected = s.spanId === props.selectedId
        if (x + bw <= paintedTo && !n.error && !isSelected) continue
        paintedTo = x + bw
        const color = colors.get(s.service)!
        const a = props.finding && !props.matches.has(n) ? 0.25 : 1
        if (a !== alpha) ctx.globalAlpha = alpha = a
        if (color !== fill) ctx.fillStyle = fill = color
        ctx.fillRect(x, y, bw, BAR_HEIGHT)
        drawn++
        if (n.error) {
          ctx.strokeStyle = ERROR_COLOR
          ctx.lineWidth = 2
          ctx.strokeRect(x + 1, y + 1, Math.max(bw - 2, 0.5), BAR_HEIGHT - 2)
        }
        if (isSelected) selected = { x, y, bw }
        const visibleLeft = Math.max(x, 0)
        const room = Math.min(x + bw, w) - visibleLeft - 8
        if (room >= MIN_LABEL_PX) {
          const text = fitLabel(ctx, `${n.error ? '! ' : ''}${s.service}: ${s.name}`, room)
          if (text) {
            ctx.fillStyle = n.error ? ERROR_COLOR : textColorOn(color)
            if (n.error) {
              // Error labels sit on a white pill so the red stays readable on any service colour.
              const tw = ctx.measureText(text).width
              ctx.fillStyle = '#fff'
              ctx.fillRect(visibleLeft + 3, y + 3, tw + 2, BAR_HEIGHT - 6)
              ctx.fillStyle = ERROR_COLOR
            }
            ctx.fillText(text, visibleLeft + 4, y + BAR_HEIGHT / 2)
            fill = ''
          }
        }
      }
    }
    ctx.globalAlpha = 1
    if (selected) {
      ctx.strokeStyle = SELECTED_COLOR
      ctx.lineWidth = 2
      ctx.strokeRect(selected.x - 1, selected.y - 1, selected.bw + 2, BAR_HEIGHT + 2)
    }
    // Read by the UI tests: they wait for a drawing before reading pixels.
    canvas.dataset['drawnBars'] = String(drawn)
  }, [levels, colors, view, scrollTop, size, canvasHeight, props.selectedId, props.matches, props.finding])

  // A span selected elsewhere (find, a link, the error origin): scroll its depth into view and
  // widen the zoom when it lies outside it.
  useEffect(() => {
    const node = props.selectedId ? model.byId.get(props.selectedId) : undefined
    const el = scrollRef.current
    if (!node || !el) return
    const top = node.depth * FLAME_ROW_HEIGHT
    if (top < el.scrollTop || top + FLAME_ROW_HEIGHT > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 3)
      setScrollTop(el.scrollTop)
    }
    if (node.span.endTimeUnixMs < view.start || node.span.startTimeUnixMs > view.end) setView(full)
    // eslint-disable-next-line react-hooks/exhaustive-deps -- follows the selection only; the zoom it reads is the user's at that moment
  }, [props.selectedId])

  const onScroll = () => {
    if (frame.current) return
    frame.current = requestAnimationFrame(() => {
      frame.current = 0
      if (scrollRef.current) setScrollTop(scrollRef.current.scrollTop)
    })
  }
  useEffect(() => () => cancelAnimationFrame(frame.current), [])

  /** The span under a point of the canvas (a 2px tolerance for bars thinner than a pixel). */
  const spanAt = (e: MouseEvent): { node: SpanNode; x: number; y: number } | null => {
    const r = canvasRef.current!.getBoundingClientRect()
    const x = e.clientX - r.left
    const y = e.clientY - r.top
    const depth = Math.floor((y + scrollTop) / FLAME_ROW_HEIGHT)
    const level = levels[depth]
    if (!level || (y + scrollTop) % FLAME_ROW_HEIGHT < 1) return null
    const msPerPx = (view.end - view.start) / Math.max(r.width, 1)
    const t = view.start + x * msPerPx
    const slack = 2 * msPerPx
    let best: SpanNode | null = null
    let bestDistance = Infinity
    for (const n of level) {
      const s = n.span
      if (s.startTimeUnixMs - slack > t) break
      const distance = t < s.startTimeUnixMs ? s.startTimeUnixMs - t : t > s.endTimeUnixMs ? t - s.endTimeUnixMs : 0
      if (distance <= slack && distance <= bestDistance) {
        best = n
        bestDistance = distance
      }
    }
    return best ? { node: best, x, y } : null
  }

  return (
    <div class="flame" data-testid="flame-graph">
      <div class="flame-toolbar muted small">
        <span>
          {model.nodes.length} spans, {levels.length} deep
        </span>
        <span data-testid="flame-zoom">
          {zoomed ? (
            <>
              {formatDuration(view.start - model.startMs)} – {formatDuration(view.end - model.startMs)}{' '}
              <button type="button" class="link-button" onClick={() => setView(full)}>
                reset zoom
              </button>
            </>
          ) : (
            'double-click a span to zoom to it'
          )}
        </span>
      </div>
      <div class="flame-head">
        <div class="flame-axis" style={{ width: `${size.width}px` }}>
          <Ticks view={view} traceStart={model.startMs} />
        </div>
      </div>
      <div class="flame-scroll" ref={scrollRef} onScroll={onScroll} data-testid="flame-scroll">
        <div class="flame-space" style={{ height: `${totalHeight}px` }}>
          <canvas
            ref={canvasRef}
            class="flame-canvas"
            data-testid="flame-canvas"
            role="img"
            aria-label={`Flame graph of ${model.nodes.length} spans: time across, depth down. Click a span to see its details.`}
            style={{ height: `${canvasHeight}px` }}
            onMouseMove={(e) => setHover(spanAt(e))}
            onMouseLeave={() => setHover(null)}
            onClick={(e) => {
              const hit = spanAt(e)
              if (hit) props.onSelect(hit.node.span.spanId)
            }}
            onDblClick={(e) => {
              const hit = spanAt(e)
              if (!hit) return
              const s = hit.node.span
              setView({ start: s.startTimeUnixMs, end: s.endTimeUnixMs > s.startTimeUnixMs ? s.endTimeUnixMs : s.startTimeUnixMs + 1e-3 })
            }}
          />
          {hover && (
            <div
              class="flame-tooltip"
              data-testid="flame-tooltip"
              style={{ top: `${scrollTop + hover.y + 14}px`, left: `${Math.min(hover.x + 12, Math.max(size.width - 320, 0))}px` }}
            >
              <b>
                {hover.node.span.service}: {hover.node.span.name}
              </b>
              <span>
                {formatDuration(hover.node.span.durationMs)}, self {formatDuration(hover.node.selfMs)}
              </span>
              {hover.node.error && <span class="status-error">error{hover.node.span.status.message ? `: ${hover.node.span.status.message}` : ''}</span>}
            </div>
          )}
        </div>
      </div>
    </div>
  )
}
