// Places services in columns by call depth (callers left, callees right): longest path from a
// service nobody calls, with cycles broken by visiting each edge once.
import type { DependencyEdge } from './api-types'

export interface LaidOutNode {
  name: string
  layer: number
  x: number
  y: number
}

export const NODE_W = 170
export const NODE_H = 44
const COL_GAP = 110
const ROW_GAP = 34

export function layeredLayout(services: string[], edges: DependencyEdge[]): { nodes: Map<string, LaidOutNode>; width: number; height: number } {
  const names = new Set(services)
  for (const e of edges) { names.add(e.parent); names.add(e.child) }
  const layer = new Map<string, number>()
  for (const n of names) layer.set(n, 0)
  const real = edges.filter((e) => e.parent !== e.child)
  // Bellman-Ford style relaxation bounded by the node count: a cycle stops growing after that.
  for (let round = 0; round < names.size; round++) {
    let changed = false
    for (const e of real) {
      const want = layer.get(e.parent)! + 1
      if (want > layer.get(e.child)! && want < names.size) { layer.set(e.child, want); changed = true }
    }
    if (!changed) break
  }
  const columns = new Map<number, string[]>()
  for (const [n, l] of layer) columns.set(l, [...(columns.get(l) ?? []), n])
  const nodes = new Map<string, LaidOutNode>()
  let maxRows = 0
  const layers = [...columns.keys()].sort((a, b) => a - b)
  layers.forEach((l, col) => {
    const list = columns.get(l)!.sort()
    maxRows = Math.max(maxRows, list.length)
    list.forEach((name, row) => nodes.set(name, { name, layer: col, x: 20 + col * (NODE_W + COL_GAP), y: 20 + row * (NODE_H + ROW_GAP) }))
  })
  // Centre short columns vertically.
  const height = 40 + maxRows * (NODE_H + ROW_GAP) - ROW_GAP
  for (const l of layers) {
    const list = columns.get(l)!
    const colH = list.length * (NODE_H + ROW_GAP) - ROW_GAP
    const offset = (height - 40 - colH) / 2
    for (const name of list) nodes.get(name)!.y += offset
  }
  return { nodes, width: 40 + layers.length * (NODE_W + COL_GAP) - COL_GAP, height }
}
