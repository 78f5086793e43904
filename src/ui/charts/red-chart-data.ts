// What the RED charts may draw from a metrics series: nothing after now (a bucket that has not
// started counted nothing, and a zero there says traffic stopped), and the bucket holding now
// kept apart because it is still filling: its rate and latency are drawn as a dashed, hollow
// continuation, and it has no error rate (two requests and one failure in a half-filled bucket
// are not a 50 % spike). Pure: no DOM, no uPlot.
import type { MetricsSeries } from '../../query-api/query-api-types'

export interface RedChartData {
  /** bucket starts in seconds (uPlot's time unit) */
  xs: number[]
  /** finished buckets; null at the unfinished one */
  rate: (number | null)[]
  /** the last finished bucket and the unfinished one only (the dashed continuation); null elsewhere */
  rateUnfinished: (number | null)[]
  /** finished buckets with requests; never the unfinished one */
  errorRate: (number | null)[]
  p50: (number | null)[]
  p99: (number | null)[]
  p50Unfinished: (number | null)[]
  p99Unfinished: (number | null)[]
  /** start of the unfinished bucket (ms), or null when every bucket shown is complete */
  unfinishedFromMs: number | null
  stepMs: number
}

export function redChartData(m: MetricsSeries, nowMs: number): RedChartData | null {
  const pts = [...m.points].sort((a, b) => a.t - b.t).filter((p) => p.t <= nowMs)
  if (!pts.length) return null
  // An older collector does not mark the bucket: the one reaching past now is unfinished.
  const isUnfinished = (p: (typeof pts)[number]) => p.unfinished ?? p.t + m.stepMs > nowMs
  const last = pts.length - 1
  const open = isUnfinished(pts[last]!) ? last : -1
  const done = <T>(v: T | null, i: number): T | null => (i === open ? null : v)
  const tail = <T>(v: T | null, i: number): T | null => (open >= 0 && (i === open || i === open - 1) ? v : null)
  return {
    xs: pts.map((p) => p.t / 1000),
    rate: pts.map((p, i) => done(p.ratePerSec, i)),
    rateUnfinished: pts.map((p, i) => tail(p.ratePerSec, i)),
    errorRate: pts.map((p, i) => done(p.requests ? p.errorRate : null, i)),
    p50: pts.map((p, i) => done(p.p50Ms, i)),
    p99: pts.map((p, i) => done(p.p99Ms, i)),
    p50Unfinished: pts.map((p, i) => tail(p.p50Ms, i)),
    p99Unfinished: pts.map((p, i) => tail(p.p99Ms, i)),
    unfinishedFromMs: open >= 0 ? pts[open]!.t : null,
    stepMs: m.stepMs,
  }
}

/** The windows the metrics panel offers around a trace (`around=` in the URL). */
export const METRICS_WINDOWS = [
  { value: '5m', label: '±5 min', ms: 5 * 60_000 },
  { value: '30m', label: '±30 min', ms: 30 * 60_000 },
  { value: '2h', label: '±2 h', ms: 2 * 3600_000 },
] as const

export const DEFAULT_METRICS_WINDOW = '30m'

export function metricsWindow(value: string | null): (typeof METRICS_WINDOWS)[number] {
  return METRICS_WINDOWS.find((w) => w.value === value) ?? METRICS_WINDOWS.find((w) => w.value === DEFAULT_METRICS_WINDOW)!
}
