/**
 * Service dependencies over a long window, computed slice by slice with a
 * yield to the event loop between slices: the join over every span of the
 * window is the heaviest query the API runs, and ingest shares the thread.
 */
import type { DependencyEdge, DependencyReader } from '../store/store-roles.js'

const SLICE_MS = 5 * 60_000

export async function dependenciesInSlices(store: DependencyReader, startUnixMs: number, endUnixMs: number): Promise<DependencyEdge[]> {
  const edges = new Map<string, DependencyEdge>()
  for (let from = startUnixMs; from <= endUnixMs; from += SLICE_MS) {
    // Slices are closed ranges on span start; the next starts just above this one's end.
    const to = Math.min(from + SLICE_MS - 1e-6, endUnixMs)
    for (const edge of await store.dependencies(from, to)) {
      const key = `${edge.parent}\u0000${edge.child}`
      const known = edges.get(key)
      if (known === undefined) edges.set(key, { ...edge })
      else {
        known.callCount += edge.callCount
        known.errorCount += edge.errorCount
      }
    }
    if (to < endUnixMs) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return [...edges.values()].sort((a, b) => (a.parent === b.parent ? a.child.localeCompare(b.child) : a.parent.localeCompare(b.parent)))
}
