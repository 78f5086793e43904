// Human-readable numbers: durations with a unit picked by size, times in the browser's zone.

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  const abs = Math.abs(ms)
  if (abs === 0) return '0ms'
  if (abs < 1) return `${(ms * 1000).toFixed(abs < 0.01 ? 2 : 0)}µs`
  if (abs < 10) return `${ms.toFixed(2)}ms`
  if (abs < 1000) return `${ms.toFixed(abs < 100 ? 1 : 0)}ms`
  if (abs < 60_000) return `${+(ms / 1000).toFixed(2)}s`
  const total = Math.round(abs / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const sec = total % 60
  return (ms < 0 ? '-' : '') + [h && `${h}h`, m && `${m}m`, sec && `${sec}s`].filter(Boolean).join('')
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

export function formatTime(unixMs: number): string {
  const d = new Date(unixMs)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

export function formatDateTime(unixMs: number): string {
  const d = new Date(unixMs)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(unixMs)}`
}

export function formatRelative(unixMs: number, now = Date.now()): string {
  const s = Math.round((now - unixMs) / 1000)
  if (s < 5) return 'just now'
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.round(s / 60)}m ago`
  if (s < 86_400) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86_400)}d ago`
}

export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–'
  const p = ratio * 100
  return `${p === 0 ? '0' : p < 0.1 ? '<0.1' : p < 10 ? +p.toFixed(1) : p.toFixed(0)}%`
}

export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return '–'
  if (perSec === 0) return '0/s'
  if (perSec * 60 < 0.1) return `${(perSec * 3600).toFixed(1)}/h`
  if (perSec < 0.1) return `${(perSec * 60).toFixed(1)}/min`
  return `${perSec < 10 ? perSec.toFixed(2) : perSec.toFixed(0)}/s`
}

/** Attribute values are shown as text; objects and arrays as compact JSON. */
export function attributeText(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
