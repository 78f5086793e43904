import type { SpanKindValue } from '../span/span-record.js'
import { SpanKind } from '../span/span-record.js'
import { nowUnixMs } from '../span/clock.js'

/**
 * One request through the proxy, from the first byte we see to the last we send.
 *
 * Every part of the proxy (tracing, access log, metrics, header injection)
 * reads and stamps this one object, so it has a fixed shape: all fields are set
 * in the constructor, times are epoch milliseconds with a sub-millisecond
 * fraction, and 0 / '' mean "did not happen". It is handed to the exchange
 * observers exactly once, when `finish` is called.
 */
export class Exchange {
  kind: SpanKindValue = SpanKind.SERVER

  // Trace identity. parentSpanId is '' for a new trace.
  traceId = ''
  spanId = ''
  parentSpanId = ''
  traceFlags = 0
  traceState = ''
  sampled = false
  /** Propagation format the parent came in with ('' for a new trace). */
  incomingFormat = ''
  /** Width in bits of an incoming B3/Jaeger trace id, so it is written back the same way. */
  incomingTraceIdBits = 128
  /** B3 `d` / Jaeger debug flag from the caller: forwarded to the upstream in those formats. */
  incomingDebug = false
  /** Header rejected as malformed ('' when none was). */
  invalidContextHeader = ''

  // The request as the client sent it.
  method = ''
  /** The request target (path and query) exactly as received. */
  target = ''
  path = ''
  route = ''
  scheme = 'http'
  host = ''
  serverPort = 0
  clientAddress = ''
  peerAddress = ''
  peerPort = 0
  userAgent = ''
  requestId = ''
  httpVersion = '1.1'
  /** Upstream origin for CLIENT spans (outbound proxy); '' for inbound. */
  upstreamOrigin = ''
  /** Outbound: how the CLIENT span found its parent (outbound-join.ts); '' for inbound. */
  joinRule = ''
  /** Outbound: the inbound request it was joined to had lost its client (the service still worked on it). */
  joinedAbandoned = false
  /** Outbound through a named route: the route's name (`peer.service`); '' otherwise. */
  peerService = ''

  // Timings.
  readonly startUnixMs: number
  upstreamConnectedUnixMs = 0
  requestSentUnixMs = 0
  firstByteUnixMs = 0
  responseHeadersUnixMs = 0
  endUnixMs = 0

  // Outcome.
  statusCode = 0
  /** OpenTelemetry `error.type`: '' on success. */
  errorType = ''
  errorMessage = ''
  requestBodyBytes = 0
  responseBodyBytes = 0
  upgraded = false
  finished = false
  /** Where `InflightExchanges` holds it while in flight; -1 when it does not. */
  inflightSlot = -1

  constructor(startUnixMs: number) {
    this.startUnixMs = startUnixMs
  }

  /** Marks the exchange as failed; the first failure wins, later ones are consequences. */
  fail(errorType: string, message: string): void {
    if (this.errorType !== '') return
    this.errorType = errorType
    this.errorMessage = message
  }
}

/** Told about every exchange once it has ended (span export, access log, metrics). */
export interface ExchangeObserver {
  onExchangeEnd(exchange: Exchange): void
}

/**
 * Ends an exchange exactly once and hands it to every observer. Shared by the
 * inbound and outbound proxies so that both keep the one-span-per-request rule.
 */
export function endExchange(exchange: Exchange, observers: readonly ExchangeObserver[], onObserverError: ((err: unknown) => void) | undefined): void {
  if (exchange.finished) return
  exchange.finished = true
  exchange.endUnixMs = nowUnixMs()
  for (const observer of observers) {
    try {
      observer.onExchangeEnd(exchange)
    } catch (err) {
      // An observer's bug must never fail the traffic; it is reported, not rethrown.
      onObserverError?.(err)
    }
  }
}
