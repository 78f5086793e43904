import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import type { OutboundJoinRule } from '../config/proxy-config.js'
import type { Exchange } from './exchange.js'
import type { InflightExchanges } from './inflight-exchanges.js'
import type { TracePropagation } from './trace-propagation.js'
import type { WorkerProcessJoin } from './worker-process-join.js'

/**
 * How an outbound call's CLIENT span found its parent: the value of the span
 * attribute `tracecar.join.rule` and the label of `tracecar_outbound_joins_total`.
 */
export const JoinOutcome = {
  /** The service forwarded traceparent / B3 / Jaeger: used as is. */
  context: 'context',
  /** The service forwarded a correlation header of its inbound request. */
  correlation: 'correlation',
  /** Inferred: the only inbound request in flight when the call started. */
  soleInbound: 'sole_inbound',
  /** Inferred: the only inbound request the calling process was serving (worker-process-join.ts). */
  workerProcess: 'worker_process',
  /** No rule applied: a new trace. */
  none: 'none',
} as const
export type JoinOutcomeValue = (typeof JoinOutcome)[keyof typeof JoinOutcome]

/** Why an inference rule found no parent: the `reason` label of `tracecar_outbound_join_declines_total`. */
export type JoinDeclineReason = 'several_requests' | 'no_request' | 'process_unknown'

/** Outcomes that are inferred rather than named by the service: said so on the span. */
export function isInferredJoin(outcome: string): boolean {
  return outcome === JoinOutcome.soleInbound || outcome === JoinOutcome.workerProcess
}

/** What the join rules read besides the call itself. */
export interface JoinSources {
  rules: readonly OutboundJoinRule[]
  propagation: TracePropagation
  inflight: InflightExchanges | undefined
  /** Present when the `worker-process` rule is on. */
  workerProcess: WorkerProcessJoin | undefined
  /** An inference rule did not apply (counted on /metrics). */
  declined(rule: JoinOutcomeValue, reason: JoinDeclineReason): void
}

const NO_HEADERS: IncomingHttpHeaders = {}
const NO_RAW_HEADERS: readonly string[] = []

/**
 * Sets the trace context of an outbound exchange from what the service sent,
 * trying the configured rules in order (docs/outbound-and-joining.md):
 *
 * 1. `context`: a trace context header on the call (the service forwarded it);
 * 2. `correlation`: a correlation header whose value names an in-flight inbound
 *    request — the CLIENT span becomes a child of that request's SERVER span;
 * 3. `worker-process`: the process that made the call serves exactly one
 *    inbound request in flight — the same, inferred, and said so on the span;
 * 4. `sole-inbound`: exactly one inbound request is in flight — the same, inferred.
 *
 * Otherwise the call starts a new trace (`none`). `done` gets which rule
 * applied: at once, unless the worker-process rule has to read /proc first
 * (`call` is the connection the service made the call on).
 */
export function joinOutbound(
  exchange: Exchange,
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
  call: Socket,
  sources: JoinSources,
  done: (outcome: JoinOutcomeValue) => void,
): void {
  const { rules, propagation, inflight } = sources
  // Reading the call's own context (or starting a root) is the propagation
  // module's job; a context is only read when the `context` rule is on.
  if (rules.includes('context')) propagation.begin(exchange, headers, rawHeaders)
  else propagation.begin(exchange, NO_HEADERS, NO_RAW_HEADERS)
  const forwarded = exchange.parentSpanId !== ''
  const tryFrom = (first: number): void => {
    for (let i = first; i < rules.length; i++) {
      const rule = rules[i]
      if (rule === 'context') {
        if (forwarded) return done(JoinOutcome.context)
      } else if (rule === 'correlation') {
        const inbound = inflight === undefined ? undefined : findByCorrelation(inflight, headers)
        if (inbound !== undefined) {
          adoptParent(exchange, inbound, inflight!)
          return done(JoinOutcome.correlation)
        }
      } else if (rule === 'sole-inbound') {
        const inbound = inflight?.sole()
        if (inbound !== undefined) {
          adoptParent(exchange, inbound, inflight!)
          return done(JoinOutcome.soleInbound)
        }
        sources.declined(JoinOutcome.soleInbound, inflight === undefined || inflight.size === 0 ? 'no_request' : 'several_requests')
      } else if (rule === 'worker-process' && sources.workerProcess !== undefined) {
        sources.workerProcess.find(call, (result) => {
          if (result.inbound !== undefined) {
            adoptParent(exchange, result.inbound, inflight!)
            return done(JoinOutcome.workerProcess)
          }
          sources.declined(JoinOutcome.workerProcess, result.decline)
          tryFrom(i + 1)
        })
        return
      }
    }
    done(JoinOutcome.none)
  }
  tryFrom(0)
}

function findByCorrelation(inflight: InflightExchanges, headers: IncomingHttpHeaders): Exchange | undefined {
  for (const name of inflight.headers) {
    const value = headers[name]
    // A repeated header (Node joins it with ", ") names no single request.
    if (typeof value !== 'string' || value === '') continue
    const inbound = inflight.find(name, value)
    if (inbound !== undefined) return inbound
  }
  return undefined
}

/** Makes the outbound span a child of the inbound SERVER span, in its trace and with its sampling decision. */
function adoptParent(exchange: Exchange, inbound: Exchange, inflight: InflightExchanges): void {
  exchange.joinedAbandoned = inflight.isAbandoned(inbound)
  exchange.traceId = inbound.traceId
  exchange.parentSpanId = inbound.spanId
  exchange.traceFlags = inbound.traceFlags
  exchange.traceState = inbound.traceState
  exchange.sampled = inbound.sampled
  exchange.incomingFormat = inbound.incomingFormat
  exchange.incomingTraceIdBits = inbound.incomingTraceIdBits
  exchange.incomingDebug = inbound.incomingDebug
}
