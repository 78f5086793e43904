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

/** What ordering reads of a span: the whole span and the trace page's columns both have it. */
type OrderedSpan = Pick<StoredSpan, 'spanId' | 'parentSpanId' | 'service' | 'name' | 'startTimeUnixMs' | 'traceState'>

/** What ordering reads of a trace, one array per field, position i being one span. */
export interface OrderColumns {
  spanId: readonly string[]
  parentSpanId: readonly (string | null)[]
  /** start times in milliseconds from any one origin (only differences are read) */
  startMs: ArrayLike<number>
  service: readonly string[]
  name: readonly string[]
  traceState: readonly string[]
}

export interface DisplayOrder {
  /** positions in the input, in display order (a second span with an id already shown is left out) */
  order: Int32Array
  /** by input position: the position of the span the tree hangs it under, -1 for a root (no parent, a parent not in the trace, or itself) */
  parent: Int32Array
  /** by input position: the position this span's id stands for (the last span with that id) */
  idAt: Int32Array
  warnings: string[]
}

/** The tracestate member `tracecar load` sends with every request (`tracecar=run-<12 hex>`). */
const LOAD_RUN_MEMBER = /(?:^|,)[ \t]*tracecar=run-[0-9a-f]{12}[ \t]*(?:,|$)/

/** Whole spans (or anything with their ordering fields) in display order. */
export function orderTraceForDisplay<S extends OrderedSpan>(spans: readonly S[]): { spans: S[]; warnings: string[] } {
  const { order, warnings } = displayOrder({
    spanId: spans.map((s) => s.spanId),
    parentSpanId: spans.map((s) => s.parentSpanId),
    startMs: spans.map((s) => s.startTimeUnixMs),
    service: spans.map((s) => s.service),
    name: spans.map((s) => s.name),
    traceState: spans.map((s) => s.traceState),
  })
  return { spans: Array.from(order, (i) => spans[i]!), warnings }
}

/**
 * The display order of a trace given as columns: positions only, no object per span (the
 * trace page's 100,000-span traces are ordered from the store's columns).
 */
export function displayOrder(c: OrderColumns): DisplayOrder {
  const n = c.spanId.length
  const byId = new Map<string, number>()
  for (let i = 0; i < n; i++) byId.set(c.spanId[i]!, i)
  // Each span stands for its own id unless a later span has the same one (only then looked up).
  const idAt = Int32Array.from({ length: n }, (_, i) => i)
  if (byId.size < n) for (let i = 0; i < n; i++) idAt[i] = byId.get(c.spanId[i]!)!
  const start = c.startMs
  // How a warning names a span: what a reader recognises, not its id.
  const label = (i: number) => `${c.service[i]}: ${c.name[i]}`

  // The earliest span of a load run's trace, whose parent is the load generator's span: its
  // missing parent is expected, not warned about.
  let earliest = -1
  for (let i = 0; i < n; i++) if (earliest < 0 || start[i]! < start[earliest]!) earliest = i
  const fromLoadGenerator = earliest >= 0 && LOAD_RUN_MEMBER.test(c.traceState[earliest]!) ? earliest : -1

  const parent = new Int32Array(n)
  const warnings: string[] = []
  for (let i = 0; i < n; i++) {
    const parentId = c.parentSpanId[i]!
    const at = parentId === null ? undefined : byId.get(parentId)
    if (at === undefined || parentId === c.spanId[i]) {
      parent[i] = -1
      if (parentId !== null && (i !== fromLoadGenerator || parentId === c.spanId[i])) {
        warnings.push(`${label(i)} has parent ${parentId} which is not in the trace`)
      }
    } else {
      parent[i] = at
    }
  }
  // Children grouped by parent, group n being the roots: group g is members[groupStart[g] ..
  // groupStart[g + 1]), in input order, then sorted by start (stable: ties keep the input
  // order) unless it already is, as most traces arrive.
  const group = (i: number) => (parent[i]! < 0 ? n : parent[i]!)
  const groupStart = new Int32Array(n + 2)
  for (let i = 0; i < n; i++) groupStart[group(i) + 1]!++
  for (let g = 1; g <= n + 1; g++) groupStart[g]! += groupStart[g - 1]!
  const next = groupStart.slice(0, n + 1)
  const members = new Int32Array(n)
  for (let i = 0; i < n; i++) members[next[group(i)]!++] = i
  for (let g = 0; g <= n; g++) {
    const from = groupStart[g]!
    const to = groupStart[g + 1]!
    for (let k = from + 1; k < to; k++) {
      if (start[members[k - 1]!]! > start[members[k]!]!) {
        members.set(
          Array.from(members.subarray(from, to)).sort((a, b) => start[a]! - start[b]!),
          from,
        )
        break
      }
    }
  }

  const order = new Int32Array(n)
  let m = 0
  const visited = new Uint8Array(n)
  // Iterative depth-first walk: a deep trace must not overflow the stack.
  const stack: number[] = []
  for (let k = groupStart[n + 1]! - 1; k >= groupStart[n]!; k--) stack.push(members[k]!)
  while (stack.length > 0) {
    const i = stack.pop()!
    const id = idAt[i]!
    if (visited[id]) continue
    visited[id] = 1
    order[m++] = i
    for (let k = groupStart[id + 1]! - 1; k >= groupStart[id]!; k--) stack.push(members[k]!)
  }
  // Spans only reachable through a parent cycle: shown at the end rather than lost (the sort only
  // when there are any: it is most of the cost of ordering 100,000 spans).
  if (m < n) {
    const byStart = Array.from({ length: n }, (_, i) => i).sort((a, b) => start[a]! - start[b]!)
    for (const i of byStart) {
      if (visited[idAt[i]!]) continue
      visited[idAt[i]!] = 1
      order[m++] = i
      warnings.push(`${label(i)} is part of a parent cycle`)
    }
  }
  for (let k = 0; k < m; k++) {
    const i = order[k]!
    // The parent the tree hangs it under (a span that names itself as parent is not before itself).
    const p = parent[i]!
    if (p >= 0 && start[i]! < start[p]!) {
      warnings.push(`${label(i)} starts ${(start[p]! - start[i]!).toFixed(3)} ms before its parent ${label(p)} (clock skew?)`)
    }
  }
  return { order: m < n ? order.slice(0, m) : order, parent, idAt, warnings }
}
