import type { SpanId, TraceId } from '../span/span-record.js'
import { newSpanId, newTraceId } from '../trace-context/ids.js'
import { injectContext } from '../trace-context/inject.js'
import { TRACE_FLAG_RANDOM, TRACE_FLAG_SAMPLED } from '../trace-context/remote-context.js'
import { parseTraceparent } from '../trace-context/traceparent.js'

/**
 * The trace context of a load run: every request starts its own sampled trace
 * (ids from src/trace-context, never reused), and every one carries the same
 * tracestate member `tracecar=run-<id>` so that the collector can find the run's
 * traces (`/api/traces?tracestate=tracecar=run-<id>`) and the UI can show them.
 */

export const RUN_TRACESTATE_KEY = 'tracecar'

/** `run-` and 12 random hex characters: short enough to type into a search box. */
export function newRunId(): string {
  return 'run-' + newSpanId().slice(0, 12)
}

/** The run's own tracestate member, first (W3C: the newest entry goes left), then the user's. */
export function runTracestate(runId: string, userTracestate: string): string {
  const own = `${RUN_TRACESTATE_KEY}=${runId}`
  return userTracestate === '' ? own : `${own},${userTracestate}`
}

/** What one request was sent under. */
export interface SentRequest {
  traceId: TraceId
  /** The load generator's span id: the parent id the first traced hop sees. */
  spanId: SpanId
  /** performance.now() when it was written to the socket (for timeouts). */
  sentAtMs: number
}

/**
 * Sets `traceparent` (sampled, random-id flag) and `tracestate` on `headers` for a
 * new trace, through the same injector the proxy uses.
 */
export function stampNewTrace(headers: Record<string, string>, traceState: string, sentAtMs: number): SentRequest {
  const traceId = newTraceId()
  const spanId = newSpanId()
  injectContext({ traceId, spanId, traceFlags: TRACE_FLAG_SAMPLED | TRACE_FLAG_RANDOM, traceState }, ['tracecontext'], (name, value) => {
    headers[name] = value
  })
  return { traceId, spanId, sentAtMs }
}

/** The trace id in a W3C `traceresponse` header value, if it is a valid one. */
export function traceIdFromTraceresponse(value: unknown): TraceId | undefined {
  if (typeof value !== 'string') return undefined
  return parseTraceparent(value)?.traceId
}
