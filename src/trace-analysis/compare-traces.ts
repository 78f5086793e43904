/**
 * Two traces side by side (typically two requests of the same operation, a slow one and a fast
 * one): per service and operation, how many spans and how much self time each trace has, and
 * the difference. Self time is what moves when one service got slower, whereas a parent's
 * duration moves with every child; so the biggest self-time difference names what changed.
 *
 * The figures are `traceStatistics` by operation (self-time.ts), one implementation for the
 * trace page's statistics, the load report and this comparison.
 */
import { traceStatistics } from './self-time.js'
import type { TimedSpan } from './timed-span.js'

export interface TraceComparisonRow {
  service: string
  operation: string
  countA: number
  countB: number
  selfMsA: number
  selfMsB: number
  /** selfMsB - selfMsA: positive when trace B spent more time here */
  selfDiffMs: number
}

export interface TraceComparison {
  /** largest difference (either way) first; ties by service, then operation */
  rows: TraceComparisonRow[]
  /** earliest start to latest end of each trace */
  durationMsA: number
  durationMsB: number
}

export function compareTraces(a: readonly TimedSpan[], b: readonly TimedSpan[]): TraceComparison {
  const rows = new Map<string, TraceComparisonRow>()
  const row = (service: string, operation: string): TraceComparisonRow => {
    const key = `${service}\u0000${operation}`
    let r = rows.get(key)
    if (r === undefined) rows.set(key, (r = { service, operation, countA: 0, countB: 0, selfMsA: 0, selfMsB: 0, selfDiffMs: 0 }))
    return r
  }
  for (const s of traceStatistics(a, 'operation')) {
    const r = row(s.service, s.operation!)
    r.countA = s.count
    r.selfMsA = s.selfMs
  }
  for (const s of traceStatistics(b, 'operation')) {
    const r = row(s.service, s.operation!)
    r.countB = s.count
    r.selfMsB = s.selfMs
  }
  const list = [...rows.values()]
  for (const r of list) r.selfDiffMs = r.selfMsB - r.selfMsA
  list.sort((x, y) => Math.abs(y.selfDiffMs) - Math.abs(x.selfDiffMs) || x.service.localeCompare(y.service) || x.operation.localeCompare(y.operation))
  return { rows: list, durationMsA: traceDuration(a), durationMsB: traceDuration(b) }
}

function traceDuration(spans: readonly TimedSpan[]): number {
  let start = Infinity
  let end = -Infinity
  for (const s of spans) {
    start = Math.min(start, s.startTimeUnixMs)
    end = Math.max(end, s.endTimeUnixMs)
  }
  return spans.length ? Math.max(0, end - start) : 0
}
