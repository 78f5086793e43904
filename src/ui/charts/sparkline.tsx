// A tiny inline SVG line for a table cell: the shape of the traffic, not its values. When the last
// slot is still filling (the window ends now), it is drawn as the metrics panel draws its
// unfinished bucket: a dashed continuation to a hollow point, outside the filled area, so a slot
// that has only begun counting does not read as traffic falling off.
export function Sparkline(props: { values: number[]; width?: number; height?: number; color?: string; unfinishedLast?: boolean }) {
  const w = props.width ?? 120
  const h = props.height ?? 24
  const vs = props.values.filter((v) => Number.isFinite(v))
  if (vs.length < 2) return <svg class="sparkline" width={w} height={h} aria-hidden="true" />
  const max = Math.max(...vs, 1e-9)
  const step = w / (vs.length - 1)
  const pts = vs.map((v, i) => [i * step, h - 2 - (v / max) * (h - 4)] as const)
  const text = (p: readonly [number, number]) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`
  const open = props.unfinishedLast === true && vs.length > 2
  const done = open ? pts.slice(0, -1) : pts
  const color = props.color ?? '#4e79a7'
  const lastDone = done[done.length - 1]!
  const last = pts[pts.length - 1]!
  return (
    <svg class="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-label={`activity, peak ${max}${open ? '; the last slot is still filling' : ''}`}>
      <polygon points={`0,${h} ${done.map(text).join(' ')} ${lastDone[0].toFixed(1)},${h}`} fill={color} fill-opacity="0.15" />
      <polyline points={done.map(text).join(' ')} fill="none" stroke={color} stroke-width="1.5" />
      {open && (
        <g data-testid="spark-unfinished">
          <title>The last slot has not ended: its count is partial</title>
          <line x1={lastDone[0]} y1={lastDone[1]} x2={last[0]} y2={last[1]} stroke={color} stroke-width="1.5" stroke-dasharray="3 2" />
          <circle cx={Math.min(last[0], w - 2.5)} cy={last[1]} r="2" fill="var(--panel)" stroke={color} stroke-width="1.2" />
        </g>
      )}
    </svg>
  )
}
