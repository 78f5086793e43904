import { setTimeout as sleep } from 'node:timers/promises'
import type { ApiTrace, CollectorQuery } from './collector-query.js'

/**
 * Waits for the traces of some requests to reach the collector. Sidecars batch
 * their spans (a few seconds by default) and each hop exports on its own timer, so
 * a trace can show up in parts: it counts as settled once it is found, none of its
 * spans waits for a missing parent (other than the load generator's own span,
 * which is never exported), and its span count has not changed for `settleMs`.
 * Gives up at the deadline with whatever has arrived.
 */

export interface TraceArrival {
  traces: Map<string, ApiTrace>
  /** Trace ids that had not settled at the deadline (found or not). */
  unsettled: string[]
  waitedMs: number
}

export interface AwaitTracesOptions {
  deadlineMs: number
  pollMs?: number
  settleMs?: number
  /** traceId → the load generator's span id (the expected missing parent). */
  loadSpanIds: ReadonlyMap<string, string>
}

export async function awaitTraces(query: CollectorQuery, traceIds: readonly string[], options: AwaitTracesOptions): Promise<TraceArrival> {
  const pollMs = options.pollMs ?? 500
  const settleMs = options.settleMs ?? 1500
  const started = Date.now()
  const traces = new Map<string, ApiTrace>()
  const lastChange = new Map<string, number>()
  const pending = new Set(traceIds)

  for (;;) {
    const now = Date.now()
    for (const id of [...pending]) {
      const trace = await query.trace(id)
      if (trace === undefined) continue
      const before = traces.get(id)
      if (before === undefined || before.spans.length !== trace.spans.length) lastChange.set(id, now)
      traces.set(id, trace)
      if (now - lastChange.get(id)! >= settleMs && !waitsForParent(trace, options.loadSpanIds.get(id))) pending.delete(id)
    }
    if (pending.size === 0 || Date.now() - started >= options.deadlineMs) break
    await sleep(Math.min(pollMs, Math.max(0, options.deadlineMs - (Date.now() - started))))
  }
  return { traces, unsettled: [...pending], waitedMs: Date.now() - started }
}

function waitsForParent(trace: ApiTrace, loadSpanId: string | undefined): boolean {
  const ids = new Set(trace.spans.map((s) => s.spanId))
  return trace.spans.some((s) => s.parentSpanId !== null && s.parentSpanId !== loadSpanId && !ids.has(s.parentSpanId))
}
