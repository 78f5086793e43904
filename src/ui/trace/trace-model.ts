// Turns the flat span list of a trace into what the waterfall draws: a tree (children by start
// time), depths, self times, the critical path and the rows visible under the current collapsed set.
// Iterative throughout: a trace can be a 10,000-deep chain and recursion would overflow.
import { criticalPath } from '../../trace-analysis/critical-path'
import { selfTime } from '../../trace-analysis/self-time'
import type { SpanHead } from './span-head'

export interface SpanNode {
  span: SpanHead
  index: number
  depth: number
  parent: SpanNode | null
  children: SpanNode[]
  /** spans below this one, at any depth */
  descendantCount: number
  /** has a segment on the critical path */
  critical: boolean
  /** the intervals (Unix ms) in which this span itself held up the root, in time order */
  criticalSegments: { startMs: number; endMs: number }[]
  /** the span's own time: its duration minus the union of its children's intervals */
  selfMs: number
  /** has an error itself */
  error: boolean
  /** a descendant has an error: collapsed rows still show it */
  childError: boolean
  /** has an error and no descendant does: where the failure started */
  errorOrigin: boolean
}

export interface TraceModel {
  nodes: SpanNode[]
  roots: SpanNode[]
  byId: Map<string, SpanNode>
  startMs: number
  endMs: number
  durationMs: number
  services: string[]
  errorCount: number
  maxDepth: number
  /** the failing spans none of whose descendants fail, in row order */
  errorOrigins: SpanNode[]
  /** a big trace's critical path is marked after its first rows are drawn (markCriticalPath) */
  criticalPathPending: boolean
}

/** Shared by every span off the critical path and every leaf: 100,000 spans, not 100,000 empty arrays. */
const NO_SEGMENTS: SpanNode['criticalSegments'] = []
const NO_SPANS: SpanHead[] = []
/** Every leaf's children until it gets one (never pushed to: a parent gets its own array first). */
const NO_CHILDREN: SpanNode[] = []
/**
 * Up to this many spans the critical path is marked as the model is built. Above it, marking it
 * (a third of a 100,000-span model's time) waits until the first rows are drawn.
 */
const CRITICAL_PATH_AT_ONCE_SPANS = 5_000

/**
 * `partial`: the spans are a part of a trace (the first rows drawn before the whole trace's
 * model, trace/first-rows.tsx), whose critical path is never marked and which is not measured.
 */
export function buildTraceModel(spans: SpanHead[], options: { partial?: boolean } = {}): TraceModel {
  const started = performance.now()
  const nodes: SpanNode[] = spans.map((span, index) => ({
    span,
    index,
    depth: 0,
    parent: null,
    children: NO_CHILDREN,
    descendantCount: 0,
    critical: false,
    criticalSegments: NO_SEGMENTS,
    selfMs: 0,
    error: span.status?.code === 'ERROR',
    childError: false,
    errorOrigin: false,
  }))
  const byId = new Map<string, SpanNode>()
  for (const n of nodes) if (!byId.has(n.span.spanId)) byId.set(n.span.spanId, n)

  const roots: SpanNode[] = []
  for (const n of nodes) {
    const parent = n.span.parentSpanId ? byId.get(n.span.parentSpanId) : undefined
    // A span whose parent is missing (or is itself) is shown as a root, not dropped.
    if (parent && parent !== n) {
      n.parent = parent
      if (parent.children === NO_CHILDREN) parent.children = []
      parent.children.push(n)
    } else {
      roots.push(n)
    }
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.span.startTimeUnixMs - b.span.startTimeUnixMs || a.index - b.index
  roots.sort(byStart)

  // Depth-first order; guards against parent cycles (a cycle has no root and would be lost).
  const order: SpanNode[] = []
  // Seen, by node index: a Set of 100,000 nodes cost more than the walk itself.
  const seen = new Uint8Array(nodes.length)
  const visit = (start: SpanNode) => {
    const stack: SpanNode[] = [start]
    while (stack.length) {
      const n = stack.pop()!
      if (seen[n.index]) continue
      seen[n.index] = 1
      n.depth = n.parent && seen[n.parent.index] ? n.parent.depth + 1 : 0
      order.push(n)
      // The collector's compact trace comes in display order: its siblings need no sort.
      if (!sortedByStart(n.children)) n.children.sort(byStart)
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!)
    }
  }
  for (const r of roots) visit(r)
  for (const n of nodes) {
    if (!seen[n.index]) {
      // Part of a parent cycle: break it here and show the node as a root.
      if (n.parent) n.parent.children = n.parent.children.filter((c) => c !== n)
      n.parent = null
      roots.push(n)
      visit(n)
    }
  }

  // Bottom-up counts: reverse depth-first order visits children before parents.
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!
    if (n.parent) {
      n.parent.descendantCount += n.descendantCount + 1
      if (n.error || n.childError) n.parent.childError = true
    }
  }

  const errorOrigins: SpanNode[] = []
  for (const n of order) {
    // A leaf's self time is its duration: no array per leaf (most spans of a big trace are leaves).
    n.selfMs = n.children.length
      ? selfTime(
          n.span,
          n.children.map((c) => c.span),
        )
      : selfTime(n.span, NO_SPANS)
    n.errorOrigin = n.error && !n.childError
    if (n.errorOrigin) errorOrigins.push(n)
  }

  let startMs = Infinity
  let endMs = -Infinity
  let maxDepth = 0
  let errorCount = 0
  const services = new Set<string>()
  for (const n of nodes) {
    startMs = Math.min(startMs, n.span.startTimeUnixMs)
    endMs = Math.max(endMs, n.span.endTimeUnixMs)
    maxDepth = Math.max(maxDepth, n.depth)
    if (n.error) errorCount++
    services.add(n.span.service)
  }
  if (!nodes.length) startMs = endMs = 0

  const model: TraceModel = {
    nodes: order,
    roots,
    byId,
    startMs,
    endMs,
    durationMs: Math.max(0, endMs - startMs),
    services: [...services].sort(),
    errorCount,
    maxDepth,
    errorOrigins,
    criticalPathPending: !options.partial,
  }
  if (options.partial) return model
  if (nodes.length <= CRITICAL_PATH_AT_ONCE_SPANS) markCriticalPath(model)
  performance.measure('tracecar: build trace model', { start: started })
  return model
}

/** Whether `nodes` are in start order, as byStart sorts them. */
function sortedByStart(nodes: readonly SpanNode[]): boolean {
  for (let i = 1; i < nodes.length; i++) {
    const a = nodes[i - 1]!
    const b = nodes[i]!
    if (a.span.startTimeUnixMs > b.span.startTimeUnixMs || (a.span.startTimeUnixMs === b.span.startTimeUnixMs && a.index > b.index)) return false
  }
  return true
}

/**
 * The critical path as segments (`src/trace-analysis/critical-path.ts`, Jaeger's walk back from
 * the root's end): each span gets the intervals in which it, not a child, held up the root. Only
 * the longest root's path is marked. Once per model; buildTraceModel does it for a small trace.
 */
export function markCriticalPath(model: TraceModel): void {
  if (!model.criticalPathPending) return
  model.criticalPathPending = false
  const started = performance.now()
  const { roots, byId } = model
  let root: SpanNode | undefined
  for (const r of roots) if (!root || r.span.durationMs > root.span.durationMs) root = r
  if (!root) return
  // Only the spans under that root as the tree shows them (a span cut out of a cycle is not).
  const spans: SpanHead[] = []
  const stack: SpanNode[] = [root]
  while (stack.length) {
    const n = stack.pop()!
    spans.push(n.span)
    for (const c of n.children) stack.push(c)
  }
  for (const segment of criticalPath(spans, root.span)) {
    const n = byId.get(segment.spanId)
    if (!n) continue
    if (!n.critical) n.criticalSegments = []
    n.critical = true
    n.criticalSegments.push({ startMs: segment.startMs, endMs: segment.endMs })
  }
  performance.measure('tracecar: mark critical path', { start: started })
}

/** The rows shown when the spans in `collapsed` hide their descendants. */
export function visibleRows(model: TraceModel, collapsed: ReadonlySet<string>): SpanNode[] {
  if (collapsed.size === 0) return model.nodes
  const rows: SpanNode[] = []
  const order = model.nodes
  for (let i = 0; i < order.length; i++) {
    const n = order[i]!
    rows.push(n)
    // Depth-first order keeps a subtree contiguous: skip it in one step.
    if (collapsed.has(n.span.spanId)) i += n.descendantCount
  }
  return rows
}

/**
 * Spans whose name, service or id contains `text` (any case), or whose id is in `alsoIds` (the
 * spans the collector found by attribute value), in row order.
 */
export function findSpans(model: TraceModel, text: string, alsoIds: ReadonlySet<string> = new Set()): SpanNode[] {
  const needle = text.trim().toLowerCase()
  if (!needle) return []
  return model.nodes.filter((n) => {
    const s = n.span
    return s.name.toLowerCase().includes(needle) || s.service.toLowerCase().includes(needle) || s.spanId === needle || alsoIds.has(s.spanId)
  })
}
