/**
 * Service dependencies over a long window, computed slice by slice with a
 * yield to the event loop between slices when the store runs on the
 * collector's thread (SQLite): the join over every span of the window is the
 * heaviest query the API runs, and ingest shares the thread. A store on its
 * own server (ClickHouse) is asked once for the whole window.
 */
import type { DependencyEdge, DependencyReader } from '../store/store-roles.js'

export async function dependenciesInSlices(store: DependencyReader, startUnixMs: number, endUnixMs: number): Promise<DependencyEdge[]> {
  const edges = new Map<string, DependencyEdge>()
  const sliceMs = store.sliceMs ?? Infinity
  for (let from = startUnixMs; from <= endUnixMs; from += sliceMs) {
    // Slices are closed ranges on span start; the next starts just above this one's end.
    const to = Math.min(from + sliceMs - 1e-6, endUnixMs)
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
