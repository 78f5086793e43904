// A uPlot chart that follows its container's width. The chart is rebuilt when `options` or
// `data` change identity, so callers memoise them.
import { useEffect, useRef } from 'preact/hooks'
import type uPlot from 'uplot'
import { useTheme } from '../lib/theme'

/**
 * uPlot is a chunk of its own (a third of the bundle), fetched when the first chart is drawn:
 * the pages that open without a chart (a trace's waterfall) do not compile and run it first.
 */
let uPlotLoaded: Promise<typeof uPlot> | undefined
function loadUPlot(): Promise<typeof uPlot> {
  uPlotLoaded ??= import('uplot').then((m) => m.default)
  return uPlotLoaded
}

/** Axis text, grid and ticks always in the page's colours (styles.css), so every chart reads in either theme. */
function themedAxes(axes: uPlot.Axis[] | undefined): uPlot.Axis[] | undefined {
  const css = getComputedStyle(document.documentElement)
  const fg = css.getPropertyValue('--muted').trim() || '#6b7280'
  const line = css.getPropertyValue('--line-soft').trim() || '#f0f1f4'
  return (axes ?? [{}, {}]).map((axis) => ({ ...axis, stroke: fg, grid: { ...axis.grid, stroke: line }, ticks: { ...axis.ticks, stroke: line } }))
}

export function UPlotChart(props: { options: Omit<uPlot.Options, 'width'>; data: uPlot.AlignedData; class?: string; onCreate?: (u: uPlot) => void }) {
  const ref = useRef<HTMLDivElement>(null)
  const { theme } = useTheme()
  useEffect(() => {
    const el = ref.current
    if (!el) return
    let u: uPlot | undefined
    let ro: ResizeObserver | undefined
    let gone = false
    loadUPlot().then(
      (UPlot) => {
        if (gone) return
        const width = Math.max(200, el.clientWidth)
        const chart = new UPlot({ ...props.options, axes: themedAxes(props.options.axes), width } as uPlot.Options, props.data, el)
        u = chart
        props.onCreate?.(chart)
        ro = new ResizeObserver(() => {
          const w = Math.max(200, el.clientWidth)
          if (Math.abs(w - chart.width) > 1) chart.setSize({ width: w, height: props.options.height })
        })
        ro.observe(el)
      },
      () => {
        // A new build replaced the chunk, or the collector went away: say so where the chart goes.
        if (!gone) el.textContent = 'The chart could not be loaded: reload the page.'
      },
    )
    return () => {
      gone = true
      ro?.disconnect()
      u?.destroy()
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.options, props.data, theme])
  return <div ref={ref} class={`uplot-host ${props.class ?? ''}`} />
}

/** Draws a vertical marker at x (in the x scale's units), with a label on the plot unless `label`
 * is empty (then the chart's key outside the plot names it, and no data is covered). */
export function markerPlugin(x: number, label: string, color = '#d62728'): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const px = u.valToPos(x, 'x', true)
        if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) return
        const ctx = u.ctx
        ctx.save()
        ctx.strokeStyle = color
        ctx.lineWidth = 2 * devicePixelRatio
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio])
        ctx.beginPath()
        ctx.moveTo(px, u.bbox.top)
        ctx.lineTo(px, u.bbox.top + u.bbox.height)
        ctx.stroke()
        ctx.setLineDash([])
        if (label === '') {
          ctx.restore()
          return
        }
        // The label sits at the bottom of the plot on a box of the panel's colour: data points near the marker
        // (this trace's own bucket) are usually high up and must stay visible.
        const dpr = devicePixelRatio
        ctx.font = `${11 * dpr}px system-ui, sans-serif`
        const w = ctx.measureText(label).width
        const right = px + 4 * dpr + w + 4 * dpr <= u.bbox.left + u.bbox.width
        const lx = right ? px + 4 * dpr : px - 4 * dpr - w
        const y = u.bbox.top + u.bbox.height - 5 * dpr
        ctx.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--panel').trim() || '#fff'
        ctx.fillRect(lx - 2 * dpr, y - 11 * dpr, w + 4 * dpr, 14 * dpr)
        ctx.fillStyle = color
        ctx.fillText(label, lx, y)
        ctx.restore()
      },
    },
  }
}
