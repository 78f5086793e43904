import type { IncomingHttpHeaders } from 'node:http'
import type { OutboundJoinRule } from '../config/proxy-config.js'
import type { Exchange } from './exchange.js'
import type { InflightExchanges } from './inflight-exchanges.js'
import type { TracePropagation } from './trace-propagation.js'

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
  /** No rule applied: a new trace. */
  none: 'none',
} as const
export type JoinOutcomeValue = (typeof JoinOutcome)[keyof typeof JoinOutcome]

const NO_HEADERS: IncomingHttpHeaders = {}
const NO_RAW_HEADERS: readonly string[] = []

/**
 * Sets the trace context of an outbound exchange from what the service sent,
 * trying the configured rules in order (docs/outbound-and-joining.md):
 *
 * 1. `context`: a trace context header on the call (the service forwarded it);
 * 2. `correlation`: a correlation header whose value names an in-flight inbound
 *    request — the CLIENT span becomes a child of that request's SERVER span;
 * 3. `sole-inbound`: exactly one inbound request is in flight — the same, but
 *    inferred, and said so on the span.
 *
 * Otherwise the call starts a new trace (`none`). Returns which rule applied.
 */
export function joinOutbound(
  exchange: Exchange,
  headers: IncomingHttpHeaders,
  rawHeaders: readonly string[],
  rules: readonly OutboundJoinRule[],
  propagation: TracePropagation,
  inflight: InflightExchanges | undefined,
): JoinOutcomeValue {
  // Reading the call's own context (or starting a root) is the propagation
  // module's job; a context is only read when the `context` rule is on.
  if (rules.includes('context')) propagation.begin(exchange, headers, rawHeaders)
  else propagation.begin(exchange, NO_HEADERS, NO_RAW_HEADERS)
  const forwarded = exchange.parentSpanId !== ''
  for (const rule of rules) {
    if (rule === 'context') {
      if (forwarded) return JoinOutcome.context
    } else if (rule === 'correlation') {
      const inbound = inflight === undefined ? undefined : findByCorrelation(inflight, headers)
      if (inbound !== undefined) {
        adoptParent(exchange, inbound)
        return JoinOutcome.correlation
      }
    } else if (rule === 'sole-inbound') {
      const inbound = inflight?.sole()
      if (inbound !== undefined) {
        adoptParent(exchange, inbound)
        return JoinOutcome.soleInbound
      }
    }
  }
  return JoinOutcome.none
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
function adoptParent(exchange: Exchange, inbound: Exchange): void {
  exchange.traceId = inbound.traceId
  exchange.parentSpanId = inbound.spanId
  exchange.traceFlags = inbound.traceFlags
  exchange.traceState = inbound.traceState
  exchange.sampled = inbound.sampled
  exchange.incomingFormat = inbound.incomingFormat
  exchange.incomingTraceIdBits = inbound.incomingTraceIdBits
  exchange.incomingDebug = inbound.incomingDebug
}
