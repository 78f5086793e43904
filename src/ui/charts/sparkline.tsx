// A tiny inline SVG line for a table cell: the shape of the traffic, not its values.
export function Sparkline(props: { values: number[]; width?: number; height?: number; color?: string }) {
  const w = props.width ?? 120
  const h = props.height ?? 24
  const vs = props.values.filter((v) => Number.isFinite(v))
  if (vs.length < 2) return <svg class="sparkline" width={w} height={h} aria-hidden="true" />
  const max = Math.max(...vs, 1e-9)
  const step = w / (vs.length - 1)
  const pts = vs.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`)
  const color = props.color ?? '#4e79a7'
  return (
    <svg class="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-label={`activity, peak ${max}`}>
      <polygon points={`0,${h} ${pts.join(' ')} ${w},${h}`} fill={color} fill-opacity="0.15" />
      <polyline points={pts.join(' ')} fill="none" stroke={color} stroke-width="1.5" />
    </svg>
  )
}
