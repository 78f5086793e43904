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
  const find = async (query: string): Promise<TraceSummaryJson | undefined> => {
    const res = await fetch(`${apiBaseUrl}/api/traces?service=frontend&limit=1&${query}`, { signal: AbortSignal.timeout(5000) })
    if (!res.ok) {
      await res.arrayBuffer()
      return undefined
    }
    const body = (await res.json()) as { traces: TraceSummaryJson[] }
    return body.traces[0]
  }
  const poll = async (): Promise<void> => {
    if (!slowFound) {
      const trace = await find(`minDurationMs=${SLOW_TRACE_MS}`)
      if (trace !== undefined) {
        slowFound = true
        handlers.slow(trace.traceId, trace.durationMs)
      }
    }
    if (!failingFound) {
      const trace = await find('error=true')
      if (trace !== undefined) {
        failingFound = true
        handlers.failing(trace.traceId)
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
