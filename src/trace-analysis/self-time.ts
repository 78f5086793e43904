/**
 * Where a trace's time went: each span's self time is its duration minus the part covered by
 * its children (their union, clipped to the span, so parallel children are not subtracted twice
 * and a child running past its parent does not make the parent negative). Summed by service and
 * operation, the biggest self time names the service/operation that took most of the request.
 *
 * Pure: `tracecar load` (Node) and the web UI (browser bundle) both import this file.
 */
import type { TimedSpan } from './timed-span.js'

export interface SelfTimeRow {
  service: string
  operation: string
  selfMs: number
  /** selfMs over the sum of all self times in the same breakdown, 0..1. */
  share: number
}

/** Children by parent span id (spans without a parent, or whose parent is themselves, are nobody's child). */
export function childrenByParent<S extends TimedSpan>(spans: readonly S[]): Map<string, S[]> {
  const children = new Map<string, S[]>()
  for (const span of spans) {
    if (span.parentSpanId === null || span.parentSpanId === span.spanId) continue
    let list = children.get(span.parentSpanId)
    if (list === undefined) children.set(span.parentSpanId, (list = []))
    list.push(span)
  }
  return children
}

/** Self time of every span, by span id. */
export function spanSelfTimes(spans: readonly TimedSpan[]): Map<string, number> {
  const children = childrenByParent(spans)
  const self = new Map<string, number>()
  for (const span of spans) self.set(span.spanId, selfTime(span, children.get(span.spanId) ?? []))
  return self
}

/** One span's self time, given its children. */
export function selfTime(span: TimedSpan, children: readonly TimedSpan[]): number {
  const start = span.startTimeUnixMs
  const end = Math.max(span.endTimeUnixMs, start)
  return Math.max(0, end - start - coveredLength(children, start, end))
}

/**
 * The length of the union of the children's intervals clipped to [start, end]. Children in start
 * order (as the trace page holds them) are walked as they are; others are sorted first.
 */
function coveredLength(children: readonly TimedSpan[], start: number, end: number): number {
  let sorted = true
  for (let i = 1; i < children.length && sorted; i++) sorted = children[i - 1]!.startTimeUnixMs <= children[i]!.startTimeUnixMs
  const inOrder = sorted ? children : [...children].sort((x, y) => x.startTimeUnixMs - y.startTimeUnixMs)
  let total = 0
  let curStart = -Infinity
  let curEnd = -Infinity
  for (const child of inOrder) {
    // Clipping keeps the order by start: max(start, ·) is monotonic.
    const a = Math.max(child.startTimeUnixMs, start)
    const b = Math.min(child.endTimeUnixMs, end)
    if (b <= a) continue
    if (a > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart
      curStart = a
      curEnd = b
    } else if (b > curEnd) {
      curEnd = b
    }
  }
  if (curEnd > curStart) total += curEnd - curStart
  return total
}

/** Self time summed by service and operation (span name) over one or more traces, biggest first. */
export function attributeSelfTime(traces: ReadonlyArray<readonly TimedSpan[]>): SelfTimeRow[] {
  const rows = new Map<string, SelfTimeRow>()
  let total = 0
  for (const spans of traces) {
    const self = spanSelfTimes(spans)
    for (const span of spans) {
      const ms = self.get(span.spanId) ?? 0
      const key = `${span.service}\u0000${span.name}`
      let row = rows.get(key)
      if (row === undefined) rows.set(key, (row = { service: span.service, operation: span.name, selfMs: 0, share: 0 }))
      row.selfMs += ms
      total += ms
    }
  }
  const list = [...rows.values()]
  for (const row of list) {
    row.share = total > 0 ? row.selfMs / total : 0
    row.selfMs = round(row.selfMs)
    row.share = Math.round(row.share * 1000) / 1000
  }
  return list.sort((a, b) => b.selfMs - a.selfMs || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation))
}

/** One group of a trace's statistics: the spans of one service, or of one service's operation. */
export interface TraceStatRow {
  service: string
  /** null when grouped by service only */
  operation: string | null
  count: number
  /** sum of the spans' durations (a span nested in another of the same group counts in both) */
  totalMs: number
  /** sum of the spans' self times: no time is counted twice within one trace's tree */
  selfMs: number
  /** selfMs over the trace's duration (earliest start to latest end), 0..1 */
  shareOfTrace: number
}

/**
 * The trace's spans grouped by service, or by service and operation, in no particular order.
 * `self` may carry self times already computed (by span id) for the same spans.
 */
export function traceStatistics(
  spans: readonly TimedSpan[],
  by: 'service' | 'operation',
  self: ReadonlyMap<string, number> = spanSelfTimes(spans),
): TraceStatRow[] {
  let start = Infinity
  let end = -Infinity
  for (const s of spans) {
    start = Math.min(start, s.startTimeUnixMs)
    end = Math.max(end, s.endTimeUnixMs)
  }
  const traceMs = spans.length ? Math.max(0, end - start) : 0
  const rows = new Map<string, TraceStatRow>()
  for (const span of spans) {
    const operation = by === 'operation' ? span.name : null
    const key = operation === null ? span.service : `${span.service}\u0000${operation}`
    let row = rows.get(key)
    if (row === undefined) rows.set(key, (row = { service: span.service, operation, count: 0, totalMs: 0, selfMs: 0, shareOfTrace: 0 }))
    row.count++
    row.totalMs += Math.max(0, span.endTimeUnixMs - span.startTimeUnixMs)
    row.selfMs += self.get(span.spanId) ?? 0
  }
  const list = [...rows.values()]
  for (const row of list) row.shareOfTrace = traceMs > 0 ? row.selfMs / traceMs : 0
  return list
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
