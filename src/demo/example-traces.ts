/**
 * Asks the collector's query API, every couple of seconds, for a slow and a
 * failing trace through the demo's front door, and reports each kind once:
 * the demo prints them as links a person can open straight away.
 *
 * Both searches start at this run's start: the demo's database outlives a run,
 * and a link to yesterday's trace is not an example of what is running now. The
 * slow example is a trace whose payments span took the slow path; the first
 * trace over 300 ms end to end is often a warm-up (first connections, JIT) in
 * which payments was fast.
 */
export interface ExampleTraceHandlers {
  /** `durationMs`: the whole trace; `paymentsMs`: its payments span. */
  slow(traceId: string, durationMs: number, paymentsMs: number): void
  failing(traceId: string): void
}

/** payments sleeps 300–600 ms on its slow path (src/demo/demo-topology.ts) and a few ms otherwise. */
export const SLOW_PAYMENTS_MS = 300
const SLOW_SERVICE = 'payments'
const POLL_INTERVAL_MS = 2000

interface TraceSummaryJson {
  traceId: string
  durationMs: number
}

interface TraceJson {
  spans?: Array<{ service?: string; kind?: string; durationMs?: number }>
  warnings?: unknown[]
}

type Settled = { state: 'whole'; trace: TraceJson } | { state: 'waiting' } | { state: 'broken' }

/** `sinceMs`: when this run started (ms since the epoch); older traces are never reported. */
export function watchForExampleTraces(apiBaseUrl: string, sinceMs: number, handlers: ExampleTraceHandlers): () => void {
  let slowFound = false
  let failingFound = false
  /**
   * Each sidecar ships its spans on its own batch timer, so a trace's root
   * can be stored a moment before its children from other services. A trace
   * is reported once it has settled: the same number of spans on two polls
   * in a row (POLL_INTERVAL_MS apart, longer than a sidecar's batch delay)
   * and no span whose parent is missing. So the link opens a whole trace.
   */
  const seen = new Map<string, number>()
  const settled = async (traceId: string): Promise<Settled> => {
    const res = await fetch(`${apiBaseUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) {
      await res.arrayBuffer()
      return { state: 'waiting' }
    }
    const trace = (await res.json()) as TraceJson
    const spans = trace.spans?.length ?? 0
    const before = seen.get(traceId)
    seen.set(traceId, spans)
    if (before !== spans) return { state: 'waiting' }
    // Settled with a parent still missing (a span was lost): look for another one.
    return Array.isArray(trace.warnings) && trace.warnings.length === 0 ? { state: 'whole', trace } : { state: 'broken' }
  }
  const find = async (query: string): Promise<TraceSummaryJson | undefined> => {
    const res = await fetch(`${apiBaseUrl}/api/traces?limit=1&start=${Math.floor(sinceMs)}&${query}`, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) {
      await res.arrayBuffer()
      return undefined
    }
    const body = (await res.json()) as { traces: TraceSummaryJson[] }
    return body.traces[0]
  }
  /** The trace found for a kind is kept until it has settled (newer ones would restart the wait). */
  let slowCandidate: TraceSummaryJson | undefined
  let failingCandidate: TraceSummaryJson | undefined
  const poll = async (): Promise<void> => {
    if (!slowFound) {
      slowCandidate ??= await find(`service=${SLOW_SERVICE}&minDurationMs=${SLOW_PAYMENTS_MS}`)
      const settledSlow = slowCandidate === undefined ? { state: 'waiting' as const } : await settled(slowCandidate.traceId)
      if (settledSlow.state === 'whole') {
        const paymentsMs = slowestSpanMs(settledSlow.trace, SLOW_SERVICE)
        // Whole, and through the front door (the search found it by its payments span alone).
        const throughFrontend = settledSlow.trace.spans?.some((s) => s.service === 'frontend') === true
        if (paymentsMs >= SLOW_PAYMENTS_MS && throughFrontend) {
          slowFound = true
          handlers.slow(slowCandidate!.traceId, slowCandidate!.durationMs, paymentsMs)
        } else {
          slowCandidate = undefined
        }
      } else if (settledSlow.state === 'broken') {
        slowCandidate = undefined
      }
    }
    if (!failingFound) {
      failingCandidate ??= await find('service=frontend&error=true')
      const state = failingCandidate === undefined ? 'waiting' : (await settled(failingCandidate.traceId)).state
      if (state === 'whole') {
        failingFound = true
        handlers.failing(failingCandidate!.traceId)
      } else if (state === 'broken') {
        failingCandidate = undefined
      }
    }
    if (slowFound && failingFound) clearInterval(timer)
  }
  const timer = setInterval(() => {
    // The collector may be starting or stopping; the next poll tries again.
    poll().catch(() => {})
  }, POLL_INTERVAL_MS)
  timer.unref()
  return () => clearInterval(timer)
}

function slowestSpanMs(trace: TraceJson, service: string): number {
  let max = 0
  for (const span of trace.spans ?? []) {
    if (span.service === service && span.kind === 'SERVER' && typeof span.durationMs === 'number') max = Math.max(max, span.durationMs)
  }
  return max
}
