/**
 * A trace's search row from its spans' few columns; every store summarizes
 * found traces the same way.
 */
import { nanosToMs } from '../otlp/otlp-values.js'
import type { TraceSummary } from './store-roles.js'

export interface SummarySpan {
  spanId: string
  parentSpanId: string | null
  service: string
  name: string
  startNs: bigint
  endNs: bigint
  error: boolean
}

/** undefined when the trace has no spans. */
export function summarizeTrace(traceId: string, spans: readonly SummarySpan[]): TraceSummary | undefined {
  if (spans.length === 0) return undefined
  // Root: the span without a parent; failing that, the earliest span whose
  // parent is not stored (the top of what arrived); failing that, the earliest.
  let root: SummarySpan | undefined
  let orphan: SummarySpan | undefined
  const ids = new Set<string>()
  for (const span of spans) ids.add(span.spanId)
  let earliest = spans[0]!
  let minStart = earliest.startNs
  let maxEnd = earliest.endNs
  let errorCount = 0
  const services = new Set<string>()
  for (const span of spans) {
    if (span.startNs < minStart) minStart = span.startNs
    if (span.endNs > maxEnd) maxEnd = span.endNs
    if (span.startNs < earliest.startNs) earliest = span
    if (span.parentSpanId === null) {
      if (root === undefined || span.startNs < root.startNs) root = span
    } else if (!ids.has(span.parentSpanId) && (orphan === undefined || span.startNs < orphan.startNs)) {
      orphan = span
    }
    if (span.error) errorCount++
    services.add(span.service)
  }
  const head = root ?? orphan ?? earliest
  return {
    traceId,
    rootService: head.service,
    rootOperation: head.name,
    startTimeUnixMs: nanosToMs(minStart),
    durationMs: nanosToMs(maxEnd - minStart),
    spanCount: spans.length,
    errorCount,
    services: [...services].sort(),
  }
}
