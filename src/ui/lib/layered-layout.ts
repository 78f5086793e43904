// Places services in columns by call depth (callers left, callees right): longest path from a
// service nobody calls, with cycles broken by visiting each edge once.
import type { DependencyEdge } from '../../query-api/query-api-types'

export interface LaidOutNode {
  name: string
  layer: number
  x: number
  y: number
}

export const NODE_W = 170
export const NODE_H = 44
const COL_GAP = 150
const ROW_GAP = 34
/** Between unconnected groups: room for the loops of calls back to an earlier column. */
const BLOCK_GAP = 110

export function layeredLayout(services: string[], edges: DependencyEdge[]): { nodes: Map<string, LaidOutNode>; width: number; height: number } {
  const names = new Set(services)
  for (const e of edges) {
    names.add(e.parent)
    names.add(e.child)
  }
  const out = new Map<string, string[]>()
  const indegree = new Map<string, number>()
  for (const n of names) {
    out.set(n, [])
    indegree.set(n, 0)
  }
  for (const e of edges) {
    if (e.parent === e.child) continue
    out.get(e.parent)!.push(e.child)
    indegree.set(e.child, indegree.get(e.child)! + 1)
  }
  // Drop the edges that close a cycle (found by a depth-first walk that starts from services
  // nobody calls), then place each service one column right of its furthest caller.
  const order = [...names].sort((a, b) => indegree.get(a)! - indegree.get(b)! || a.localeCompare(b))
  const state = new Map<string, 1 | 2>()
  const dagOut = new Map<string, string[]>()
  const topo: string[] = []
  for (const start of order) {
    if (state.has(start)) continue
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }]
    state.set(start, 1)
    dagOut.set(start, [])
    while (stack.length) {
      const top = stack[stack.length - 1]!
      const children = out.get(top.node)!.slice().sort()
      if (top.next < children.length) {
        const child = children[top.next++]!
        if (state.get(child) === 1) continue // back edge: part of a cycle
        dagOut.get(top.node)!.push(child)
        if (!state.has(child)) {
          state.set(child, 1)
          dagOut.set(child, [])
          stack.push({ node: child, next: 0 })
        }
      } else {
        state.set(top.node, 2)
        topo.push(top.node)
        stack.pop()
      }
    }
  }
  const layer = new Map<string, number>()
  for (const n of names) layer.set(n, 0)
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i]!
    for (const c of dagOut.get(n)!) layer.set(c, Math.max(layer.get(c)!, layer.get(n)! + 1))
  }
  // Services that never call each other are laid out apart, one block under the other, so a
  // group's edges do not cross another group's boxes.
  const component = new Map<string, string>()
  const find = (n: string): string => {
    let r = n
    while (component.get(r) !== r) r = component.get(r)!
    component.set(n, r)
    return r
  }
  for (const n of names) component.set(n, n)
  for (const e of edges) {
    const a = find(e.parent)
    const b = find(e.child)
    if (a !== b) component.set(a < b ? b : a, a < b ? a : b)
  }
  const groups = new Map<string, string[]>()
  for (const n of [...names].sort()) groups.set(find(n), [...(groups.get(find(n)) ?? []), n])
  // Bigger groups first; lone services last.
  const blocks = [...groups.values()].sort((a, b) => b.length - a.length || a[0]!.localeCompare(b[0]!))

  const callers = new Map<string, string[]>()
  for (const [from, list] of dagOut) for (const to of list) callers.set(to, [...(callers.get(to) ?? []), from])

  const nodes = new Map<string, LaidOutNode>()
  let top = 20
  let width = 0
  for (const block of blocks) {
    const layers = [...new Set(block.map((n) => layer.get(n)!))].sort((a, b) => a - b)
    const columns = layers.map((l) => block.filter((n) => layer.get(n) === l))
    const rowOf = new Map<string, number>()
    columns.forEach((col, ci) => {
      // Order a column by where its callers sit (barycentre): fewer crossing edges.
      if (ci > 0) {
        const weight = (n: string) => {
          const rows = (callers.get(n) ?? []).map((c) => rowOf.get(c)).filter((r): r is number => r !== undefined)
          return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity
        }
        col.sort((a, b) => weight(a) - weight(b) || a.localeCompare(b))
      }
      col.forEach((n, ri) => rowOf.set(n, ri))
    })
    const maxRows = Math.max(...columns.map((c) => c.length))
    const blockH = maxRows * (NODE_H + ROW_GAP) - ROW_GAP
    columns.forEach((col, ci) => {
      const offset = (blockH - (col.length * (NODE_H + ROW_GAP) - ROW_GAP)) / 2
      col.forEach((name, ri) => nodes.set(name, { name, layer: ci, x: 20 + ci * (NODE_W + COL_GAP), y: top + offset + ri * (NODE_H + ROW_GAP) }))
    })
    width = Math.max(width, 40 + columns.length * (NODE_W + COL_GAP) - COL_GAP)
    top += blockH + BLOCK_GAP
  }
  return { nodes, width, height: top - BLOCK_GAP + 20 }
}
