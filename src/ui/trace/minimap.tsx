// The minimap: every visible row drawn as a thin line on a canvas (cheap for 10,000 spans), the
// waterfall's viewport as a frame, the zoom window as the unshaded part. Click to jump to a row;
// drag across to zoom the waterfall's time axis to that window.
import { useEffect, useRef, useState } from 'preact/hooks'
import { formatDuration } from '../lib/format'
import { serviceColor } from '../lib/service-colors'
import type { SpanNode, TraceModel } from './trace-model'
import type { TimeWindow, ViewportStore } from './waterfall'

const HEIGHT = 56

export function Minimap(props: {
  model: TraceModel
  rows: SpanNode[]
  view: TimeWindow
  viewport: ViewportStore
  onJump: (rowIndex: number) => void
  onZoom: (window: TimeWindow | null) => void
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null)
  const [viewport, setViewport] = useState({ first: props.viewport.first, count: props.viewport.count })
  useEffect(() => props.viewport.subscribe(() => setViewport({ first: props.viewport.first, count: props.viewport.count })), [props.viewport])
  const { model, rows } = props
  const duration = model.durationMs || 1

  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas) return
    const draw = () => {
      const w = canvas.clientWidth
      const dpr = window.devicePixelRatio || 1
      canvas.width = Math.round(w * dpr)
      canvas.height = Math.round(HEIGHT * dpr)
      const ctx = canvas.getContext('2d')
      if (!ctx) return
      ctx.scale(dpr, dpr)
      ctx.clearRect(0, 0, w, HEIGHT)
      const rowH = HEIGHT / Math.max(rows.length, 1)
      const h = Math.max(rowH - (rowH > 3 ? 1 : 0), 1)
      if (rowH >= 1) {
        for (let i = 0; i < rows.length; i++) {
          const s = rows[i]!.span
          ctx.fillStyle = rows[i]!.error ? '#d62728' : serviceColor(s.service)
          const x = ((s.startTimeUnixMs - model.startMs) / duration) * w
          const bw = Math.max(((s.endTimeUnixMs - s.startTimeUnixMs) / duration) * w, 1)
          ctx.fillRect(x, i * rowH, bw, h)
        }
        return
      }
      drawMerged(ctx, rows, model.startMs, duration, w)
    }
    draw()
    const ro = new ResizeObserver(draw)
    ro.observe(canvas)
    return () => ro.disconnect()
    // eslint-disable-next-line react-hooks/exhaustive-deps -- duration follows from model
  }, [model, rows])

  const fraction = (e: MouseEvent) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect()
    return { fx: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)), fy: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) }
  }
  const zoomed = props.view.start > model.startMs || props.view.end < model.endMs
  const vLeft = ((props.view.start - model.startMs) / duration) * 100
  const vRight = ((model.endMs - props.view.end) / duration) * 100
  const n = Math.max(rows.length, 1)
  const frameTop = (viewport.first / n) * 100
  const frameHeight = Math.min(100 - frameTop, (viewport.count / n) * 100)

  return (
    <div class="minimap-wrap">
      <div
        class="minimap"
        data-testid="minimap"
        onMouseDown={(e) => {
          const { fx } = fraction(e)
          setDrag({ x0: fx, x1: fx })
        }}
        onMouseMove={(e) => {
          if (drag && e.buttons === 1) setDrag({ ...drag, x1: fraction(e).fx })
        }}
        onMouseLeave={() => setDrag(null)}
        onMouseUp={(e) => {
          const { fx, fy } = fraction(e)
          if (drag && Math.abs(fx - drag.x0) > 0.01) {
            const a = Math.min(fx, drag.x0)
            const b = Math.max(fx, drag.x0)
            props.onZoom({ start: model.startMs + a * duration, end: model.startMs + b * duration })
          } else {
            props.onJump(Math.floor(fy * rows.length))
          }
          setDrag(null)
        }}
        title="Click to jump, drag across to zoom into a time window"
      >
        <canvas ref={canvasRef} style={{ height: `${HEIGHT}px` }} />
        {zoomed && <div class="minimap-shade" style={{ left: 0, width: `${vLeft}%` }} />}
        {zoomed && <div class="minimap-shade" style={{ right: 0, width: `${vRight}%` }} />}
        <div class="minimap-frame" style={{ top: `${frameTop}%`, height: `${Math.max(frameHeight, 2)}%` }} />
        {drag && Math.abs(drag.x1 - drag.x0) > 0.01 && (
          <div class="minimap-select" style={{ left: `${Math.min(drag.x0, drag.x1) * 100}%`, width: `${Math.abs(drag.x1 - drag.x0) * 100}%` }} />
        )}
      </div>
      <div class="minimap-legend">
        <span>0</span>
        {zoomed ? (
          <span>
            zoomed to {formatDuration(props.view.start - model.startMs)} – {formatDuration(props.view.end - model.startMs)}{' '}
            <button type="button" class="link-button" onClick={() => props.onZoom(null)}>
              reset zoom
            </button>
          </span>
        ) : (
          <span class="muted">drag to zoom</span>
        )}
        <span>{formatDuration(model.durationMs)}</span>
      </div>
    </div>
  )
}

/**
 * More rows than pixel rows (a 100,000-span trace has ~1,800 per pixel): the rows that share a
 * pixel row are merged per colour into the runs they cover, and only those are drawn. One
 * fillRect per span took 0.4 s of the main thread right after a big trace's first rows.
 */
function drawMerged(ctx: CanvasRenderingContext2D, rows: SpanNode[], startMs: number, duration: number, w: number): void {
  const perPixel = rows.length / HEIGHT
  for (let y = 0; y < HEIGHT; y++) {
    const byColor = new Map<string, [number, number][]>()
    const end = Math.min(rows.length, Math.round((y + 1) * perPixel))
    for (let i = Math.round(y * perPixel); i < end; i++) {
      const n = rows[i]!
      const color = n.error ? '#d62728' : serviceColor(n.span.service)
      const x0 = ((n.span.startTimeUnixMs - startMs) / duration) * w
      const x1 = Math.max(((n.span.endTimeUnixMs - startMs) / duration) * w, x0 + 1)
      let runs = byColor.get(color)
      if (runs === undefined) byColor.set(color, (runs = []))
      runs.push([x0, x1])
    }
    for (const [color, runs] of byColor) {
      ctx.fillStyle = color
      runs.sort((a, b) => a[0] - b[0])
      let [from, to] = runs[0]!
      for (const [a, b] of runs) {
        if (a > to) {
          ctx.fillRect(from, y, to - from, 1)
          from = a
          to = b
        } else if (b > to) {
          to = b
        }
      }
      ctx.fillRect(from, y, to - from, 1)
    }
  }
}
