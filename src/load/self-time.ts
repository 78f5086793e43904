import type { ApiSpan } from './collector-query.js'

/**
 * Where a trace's time went: each span's self time is its duration minus the part
 * covered by its children (their union, clipped to the span, so parallel children
 * are not subtracted twice and a child running past its parent does not make the
 * parent negative). Summed by service and operation, the biggest self time names
 * the service/operation that took most of the request.
 */

export interface SelfTimeRow {
  service: string
  operation: string
  selfMs: number
  /** selfMs over the sum of all self times in the same breakdown, 0..1. */
  share: number
}

/** Self time of every span, by span id. */
export function spanSelfTimes(spans: readonly ApiSpan[]): Map<string, number> {
  const children = new Map<string, ApiSpan[]>()
  for (const span of spans) {
    if (span.parentSpanId === null) continue
    let list = children.get(span.parentSpanId)
    if (list === undefined) children.set(span.parentSpanId, (list = []))
    list.push(span)
  }
  const self = new Map<string, number>()
  for (const span of spans) {
    const start = span.startTimeUnixMs
    const end = Math.max(span.endTimeUnixMs, start)
    const covered = unionLength(
      (children.get(span.spanId) ?? []).map((c) => [Math.max(c.startTimeUnixMs, start), Math.min(c.endTimeUnixMs, end)] as const),
    )
    self.set(span.spanId, Math.max(0, end - start - covered))
  }
  return self
}

function unionLength(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0])
  let total = 0
  let curStart = -Infinity
  let curEnd = -Infinity
  for (const [a, b] of sorted) {
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
export function attributeSelfTime(traces: ReadonlyArray<readonly ApiSpan[]>): SelfTimeRow[] {
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

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
