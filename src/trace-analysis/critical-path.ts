/**
 * The critical path as segments, computed the way Jaeger UI does: start at the root's end and
 * walk back. Of the current span's children, the last one to finish before the current point held
 * the span up: the span's own time from that child's end to the point is a segment, and the walk
 * continues inside the child from its end. A span with no such child is critical from its start
 * to the point, and the walk returns to its parent at the span's start. The result is the chain of
 * intervals that decided when the root finished; a parent that only waits has no segment while
 * its children run, so in a simple chain each span is marked only where it worked itself.
 *
 * Children are first clipped to their parent (a child running past its parent's end held up
 * nothing after it; one entirely outside its parent is left out), as Jaeger does. Iterative: a
 * 10,000-deep chain is fine.
 */
import { childrenByParent } from './self-time.js'
import type { TimedSpan } from './timed-span.js'

export interface CriticalSegment {
  spanId: string
  startMs: number
  endMs: number
}

interface Clipped {
  span: TimedSpan
  startMs: number
  endMs: number
}

interface Frame {
  at: Clipped
  /** its children clipped to it, last to finish first */
  children: Clipped[]
  /** children before this index were walked into already (or ended too late) */
  next: number
}

/**
 * The critical path of the trace under `root` (by default the longest span without a parent in
 * the trace), in time order.
 */
export function criticalPath(spans: readonly TimedSpan[], root: TimedSpan | undefined = longestRoot(spans)): CriticalSegment[] {
  if (root === undefined) return []
  const childrenOf = childrenByParent(spans)
  const frame = (at: Clipped): Frame => {
    const children: Clipped[] = []
    for (const c of childrenOf.get(at.span.spanId) ?? []) {
      if (c === at.span) continue
      const startMs = Math.max(c.startTimeUnixMs, at.startMs)
      const endMs = Math.min(c.endTimeUnixMs, at.endMs)
      // Entirely before or after its parent (or inverted): not something the parent waited for.
      if (c.startTimeUnixMs > at.endMs || c.endTimeUnixMs < at.startMs || endMs < startMs) continue
      children.push({ span: c, startMs, endMs })
    }
    children.sort((a, b) => b.endMs - a.endMs || b.startMs - a.startMs)
    return { at, children, next: 0 }
  }

  const segments: CriticalSegment[] = []
  const add = (span: TimedSpan, startMs: number, endMs: number) => {
    if (endMs > startMs) segments.push({ spanId: span.spanId, startMs, endMs })
  }
  const rootStart = root.startTimeUnixMs
  const stack: Frame[] = [frame({ span: root, startMs: rootStart, endMs: Math.max(root.endTimeUnixMs, rootStart) })]
  let point = stack[0]!.at.endMs
  const visited = new Set<TimedSpan>([root])
  while (stack.length) {
    const f = stack[stack.length - 1]!
    let child: Clipped | undefined
    while (f.next < f.children.length) {
      const c = f.children[f.next++]!
      // Finished by the point (Jaeger asks for strictly before it when coming back from a
      // child; a sibling ending exactly as the next one starts held it up too, so "by").
      if (c.endMs <= point && !visited.has(c.span)) {
        child = c
        break
      }
    }
    if (child) {
      add(f.at.span, child.endMs, point)
      visited.add(child.span)
      stack.push(frame(child))
      point = child.endMs
    } else {
      add(f.at.span, f.at.startMs, point)
      point = Math.min(point, f.at.startMs)
      stack.pop()
    }
  }
  return segments.reverse()
}

/** The span without a parent in the trace that lasts longest (the one whose end the user waited for). */
export function longestRoot(spans: readonly TimedSpan[]): TimedSpan | undefined {
  const ids = new Set(spans.map((s) => s.spanId))
  let root: TimedSpan | undefined
  for (const s of spans) {
    const isRoot = s.parentSpanId === null || s.parentSpanId === s.spanId || !ids.has(s.parentSpanId)
    if (isRoot && (!root || s.endTimeUnixMs - s.startTimeUnixMs > root.endTimeUnixMs - root.startTimeUnixMs)) root = s
  }
  return root
}
