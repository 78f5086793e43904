import { setTimeout as sleep } from 'node:timers/promises'
import type { CollectorQuery } from './collector-query.js'
import type { Span, TraceResponse } from '../query-api/query-api-types.js'

/**
 * Waits for the traces of some requests to reach the collector. Sidecars batch
 * their spans (a few seconds by default) and each hop exports on its own timer, so
 * a trace can show up in parts. A trace counts as settled once it is found, its
 * span count has not changed for `settleMs`, none of its spans waits for a missing
 * parent (other than the load generator's own span, which is never exported), and
 * none of its CLIENT spans to a traced peer waits for its child: a CLIENT span
 * whose destination (service, server.address, server.port) had a child span in
 * any trace seen so far is a call into a traced service, whose SERVER span may
 * still be in that service's next batch: it waits for that child until the
 * deadline. A childless CLIENT span to a destination not known either way (the
 * callee's whole batch may still be on its way, for every wanted trace at once)
 * holds its trace for `exportLagMs`, one sidecar batch delay, before it counts
 * as a call to an untraced peer (a database, an outside API). What is learnt
 * later can unsettle a trace again, so every trace is judged afresh on each
 * poll. Gives up at the deadline with whatever has arrived.
 */

/** A sidecar's default batch delay (exporter.scheduledDelayMs, 5 s) and a margin. */
export const DEFAULT_EXPORT_LAG_MS = 5500

export interface TraceArrival {
  traces: Map<string, TraceResponse>
  /** Trace ids that had not settled at the deadline (not found, still changing, or missing a hop). */
  unsettled: string[]
  waitedMs: number
}

export interface AwaitTracesOptions {
  deadlineMs: number
  pollMs?: number
  settleMs?: number
  /** How long a CLIENT span without a child, to a destination not seen traced, may still expect one. */
  exportLagMs?: number
  /** traceId → the load generator's span id (the expected missing parent). */
  loadSpanIds: ReadonlyMap<string, string>
}

export async function awaitTraces(query: CollectorQuery, traceIds: readonly string[], options: AwaitTracesOptions): Promise<TraceArrival> {
  const pollMs = options.pollMs ?? 500
  const settleMs = options.settleMs ?? 1500
  // Elapsed time only (nothing here is compared with span times): a monotonic clock, so that a
  // step of the wall clock (NTP) neither ends the wait early nor settles a trace before its time.
  const started = performance.now()
  const traces = new Map<string, TraceResponse>()
  const lastChange = new Map<string, number>()
  const tracedPeers = new Set<string>()
  const exportLagMs = options.exportLagMs ?? DEFAULT_EXPORT_LAG_MS
  const settled = (id: string, now: number): boolean => {
    const trace = traces.get(id)
    if (trace === undefined || waitsForParent(trace, options.loadSpanIds.get(id))) return false
    const childless = childlessClients(trace)
    if (childless.some((s) => tracedPeers.has(peerOf(s)))) return false
    return now - lastChange.get(id)! >= (childless.length > 0 ? Math.max(settleMs, exportLagMs) : settleMs)
  }

  for (;;) {
    const now = performance.now()
    for (const id of traceIds) {
      if (settled(id, now)) continue
      const trace = await query.trace(id)
      if (trace === undefined) continue
      const before = traces.get(id)
      if (before === undefined || before.spans.length !== trace.spans.length) lastChange.set(id, now)
      traces.set(id, trace)
      learnTracedPeers(trace, tracedPeers)
    }
    const pending = traceIds.filter((id) => !settled(id, now))
    if (pending.length === 0 || performance.now() - started >= options.deadlineMs) {
      return { traces, unsettled: traceIds.filter((id) => !settled(id, performance.now())), waitedMs: performance.now() - started }
    }
    await sleep(Math.min(pollMs, Math.max(0, options.deadlineMs - (performance.now() - started))))
  }
}

function waitsForParent(trace: TraceResponse, loadSpanId: string | undefined): boolean {
  const ids = new Set(trace.spans.map((s) => s.spanId))
  return trace.spans.some((s) => s.parentSpanId !== null && s.parentSpanId !== loadSpanId && !ids.has(s.parentSpanId))
}

/** Where a CLIENT span went: its service and its server.address/port (its name when it has neither). */
function peerOf(span: Span): string {
  const address = span.attributes?.['server.address']
  const port = span.attributes?.['server.port']
  return address === undefined && port === undefined ? `${span.service}\u0000${span.name}` : `${span.service}\u0000${String(address)}:${String(port)}`
}

function parentsIn(trace: TraceResponse): Set<string> {
  const parents = new Set<string>()
  for (const s of trace.spans) if (s.parentSpanId !== null) parents.add(s.parentSpanId)
  return parents
}

function learnTracedPeers(trace: TraceResponse, tracedPeers: Set<string>): void {
  const parents = parentsIn(trace)
  for (const s of trace.spans) if (s.kind === 'CLIENT' && parents.has(s.spanId)) tracedPeers.add(peerOf(s))
}

function childlessClients(trace: TraceResponse): Span[] {
  const parents = parentsIn(trace)
  return trace.spans.filter((s) => s.kind === 'CLIENT' && !parents.has(s.spanId))
}
