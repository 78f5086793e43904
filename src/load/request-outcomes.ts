import type { SpanId, TraceId } from '../span/span-record.js'

/**
 * What the run keeps about individual requests: not all of them (a 30 s run at
 * 20k req/s is 600k requests), only the slowest N and the first errors, plus
 * counts. Memory is bounded by `slowest + MAX_ERRORS_LISTED` entries.
 */

export const MAX_ERRORS_LISTED = 20
/** Trace ids of requests cut off by the end of the run kept for the report. */
export const MAX_CUT_OFF_LISTED = 20
/** `failure` of a request lost with its connection (never answered, maybe never sent). */
export const CONNECTION_ERROR = 'connection error'
export const TIMEOUT = 'timeout'

export interface RequestOutcome {
  traceId: TraceId
  spanId: SpanId
  /** HTTP status, or null when no response came (timeout, connection error). */
  status: number | null
  /** 'timeout' | 'connection error' when status is null. */
  failure: string | null
  latencyMs: number
  /** Milliseconds after the run started that the response (or failure) came. */
  atMs: number
}

export class RequestOutcomes {
  readonly slowest: RequestOutcome[] = []
  readonly errorsListed: RequestOutcome[] = []
  /** Error responses and failures by status code, or by failure name. */
  readonly errorsByStatus: Record<string, number> = {}
  errorCount = 0
  /** Responses and failures matched to the trace they were sent under. */
  recorded = 0
  /**
   * Requests sent but not answered when the run ended: autocannon closes its
   * connections when it stops (duration over, `--amount` reached, Ctrl-C), and
   * drops whatever was still on the way. Not errors (the service was not asked to
   * fail); a sidecar records each as `client_disconnected`.
   */
  cutOff = 0
  /** The first MAX_CUT_OFF_LISTED of them, so their sidecar spans can be told apart. */
  readonly cutOffTraceIds: TraceId[] = []
  /** Responses autocannon reported that matched no sent request (should stay 0). */
  unmatched = 0
  /** Responses whose `traceresponse` named another trace than the one we paired them with. */
  traceresponseMismatches = 0
  /** Responses that carried a valid `traceresponse` header (a tracecar sidecar in front). */
  traceresponseSeen = 0

  constructor(readonly slowestWanted: number) {}

  record(outcome: RequestOutcome): void {
    this.recorded++
    // A timeout is the tail (it waited the whole timeout); a lost connection is not a latency.
    if (outcome.failure !== CONNECTION_ERROR) this.keepIfSlow(outcome)
    if (outcome.status === null || outcome.status >= 400) {
      this.errorCount++
      const key = outcome.status === null ? (outcome.failure ?? 'failure') : String(outcome.status)
      this.errorsByStatus[key] = (this.errorsByStatus[key] ?? 0) + 1
      if (this.errorsListed.length < MAX_ERRORS_LISTED) this.errorsListed.push(outcome)
    }
  }

  recordCutOff(traceId: TraceId): void {
    this.cutOff++
    if (this.cutOffTraceIds.length < MAX_CUT_OFF_LISTED) this.cutOffTraceIds.push(traceId)
  }

  // Insertion into a short sorted array: N is small (default 10, at most 1000) and
  // most requests are faster than the current N-th and leave after one comparison.
  private keepIfSlow(outcome: RequestOutcome): void {
    const list = this.slowest
    if (list.length === this.slowestWanted && outcome.latencyMs <= list[list.length - 1]!.latencyMs) return
    let i = list.length
    while (i > 0 && list[i - 1]!.latencyMs < outcome.latencyMs) i--
    list.splice(i, 0, outcome)
    if (list.length > this.slowestWanted) list.pop()
  }
}
