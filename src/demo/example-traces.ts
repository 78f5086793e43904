/**
 * Asks the collector's query API, every couple of seconds, for a slow and a
 * failing trace through the demo's front door, and reports each kind once:
 * the demo prints them as links a person can open straight away.
 */
export interface ExampleTraceHandlers {
  slow(traceId: string, durationMs: number): void
  failing(traceId: string): void
}

/** payments sleeps 300–600 ms on its slow path; anything past this went through it. */
const SLOW_TRACE_MS = 300
const POLL_INTERVAL_MS = 2000

interface TraceSummaryJson {
  traceId: string
  durationMs: number
}

export function watchForExampleTraces(apiBaseUrl: string, handlers: ExampleTraceHandlers): () => void {
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
  const settled = async (traceId: string): Promise<'whole' | 'waiting' | 'broken'> => {
    const res = await fetch(`${apiBaseUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) {
      await res.arrayBuffer()
      return 'waiting'
    }
    const trace = (await res.json()) as { spans?: unknown[]; warnings?: unknown[] }
    const spans = trace.spans?.length ?? 0
    const before = seen.get(traceId)
    seen.set(traceId, spans)
    if (before !== spans) return 'waiting'
    // Settled with a parent still missing (a span was lost): look for another one.
    return Array.isArray(trace.warnings) && trace.warnings.length === 0 ? 'whole' : 'broken'
  }
  const find = async (query: string): Promise<TraceSummaryJson | undefined> => {
    const res = await fetch(`${apiBaseUrl}/api/traces?service=frontend&limit=1&${query}`, { signal: AbortSignal.timeout(5000) })
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
      slowCandidate ??= await find(`minDurationMs=${SLOW_TRACE_MS}`)
      const state = slowCandidate === undefined ? 'waiting' : await settled(slowCandidate.traceId)
      if (state === 'whole') {
        slowFound = true
        handlers.slow(slowCandidate!.traceId, slowCandidate!.durationMs)
      } else if (state === 'broken') {
        slowCandidate = undefined
      }
    }
    if (!failingFound) {
      failingCandidate ??= await find('error=true')
      const state = failingCandidate === undefined ? 'waiting' : await settled(failingCandidate.traceId)
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
