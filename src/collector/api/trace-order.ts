/**
 * Puts a trace's spans in display order: each parent before its children,
 * siblings by start time. A span whose parent never arrived (a broken
 * trace) is shown as a root with a warning; a child that starts before its
 * parent (clock skew between hosts) keeps its place under that parent.
 * The one exception is a `tracecar load` request: its first hop's parent is
 * the load generator's own span, which is never exported, so that missing
 * parent is expected and not warned about.
 * Pure: no I/O.
 */
import type { StoredSpan } from '../model/stored-span.js'

/** What ordering reads of a span: the whole span and the trace page's outline both have it. */
type OrderedSpan = Pick<StoredSpan, 'spanId' | 'parentSpanId' | 'service' | 'name' | 'startTimeUnixMs' | 'traceState'>

/** The tracestate member `tracecar load` sends with every request (`tracecar=run-<12 hex>`). */
const LOAD_RUN_MEMBER = /(?:^|,)[ \t]*tracecar=run-[0-9a-f]{12}[ \t]*(?:,|$)/

/** The earliest span of a load run's trace, whose parent is the load generator's span. */
function loadGeneratorChild<S extends OrderedSpan>(spans: readonly S[]): S | undefined {
  let earliest: S | undefined
  for (const span of spans) if (earliest === undefined || span.startTimeUnixMs < earliest.startTimeUnixMs) earliest = span
  return earliest !== undefined && LOAD_RUN_MEMBER.test(earliest.traceState) ? earliest : undefined
}

/** How a warning names a span: what a reader recognises, not its id. */
function spanLabel(span: OrderedSpan): string {
  return `${span.service}: ${span.name}`
}

export function orderTraceForDisplay<S extends OrderedSpan>(spans: readonly S[]): { spans: S[]; warnings: string[] } {
  const byId = new Map<string, S>()
  for (const span of spans) byId.set(span.spanId, span)
  const children = new Map<string, S[]>()
  const roots: S[] = []
  const warnings: string[] = []
  const fromLoadGenerator = loadGeneratorChild(spans)
  for (const span of spans) {
    const parent = span.parentSpanId
    if (parent === null) {
      roots.push(span)
    } else if (!byId.has(parent) || parent === span.spanId) {
      roots.push(span)
      if (span !== fromLoadGenerator || parent === span.spanId) warnings.push(`${spanLabel(span)} has parent ${parent} which is not in the trace`)
    } else {
      let list = children.get(parent)
      if (list === undefined) children.set(parent, (list = []))
      list.push(span)
    }
  }
  const byStart = (a: S, b: S): number => a.startTimeUnixMs - b.startTimeUnixMs
  roots.sort(byStart)
  for (const list of children.values()) list.sort(byStart)

  const ordered: S[] = []
  const visited = new Set<string>()
  // Iterative depth-first walk: a deep trace must not overflow the stack.
  const stack: S[] = [...roots].reverse()
  while (stack.length > 0) {
    const span = stack.pop()!
    if (visited.has(span.spanId)) continue
    visited.add(span.spanId)
    ordered.push(span)
    const kids = children.get(span.spanId)
    if (kids !== undefined) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!)
  }
  // Spans only reachable through a parent cycle: shown at the end rather than lost (the sort only
  // when there are any: it is most of the cost of ordering 100,000 spans).
  for (const span of ordered.length === spans.length ? [] : [...spans].sort(byStart)) {
    if (visited.has(span.spanId)) continue
    visited.add(span.spanId)
    ordered.push(span)
    warnings.push(`${spanLabel(span)} is part of a parent cycle`)
  }
  for (const span of ordered) {
    const parent = span.parentSpanId === null ? undefined : byId.get(span.parentSpanId)
    if (parent !== undefined && span.startTimeUnixMs < parent.startTimeUnixMs) {
      warnings.push(
        `${spanLabel(span)} starts ${(parent.startTimeUnixMs - span.startTimeUnixMs).toFixed(3)} ms before its parent ${spanLabel(parent)} (clock skew?)`,
      )
    }
  }
  return { spans: ordered, warnings }
}
