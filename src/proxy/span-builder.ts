import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '../span/stable-attributes.js'
import { ATTR_HTTP_REQUEST_BODY_SIZE, ATTR_HTTP_RESPONSE_BODY_SIZE } from '../span/incubating-attributes.js'
import type { SpanRecord } from '../span/span-record.js'
import { SpanKind, StatusCode } from '../span/span-record.js'
import { spanRecordOf } from '../span/span-sink.js'
import type { SpanWriter } from '../span/span-sink.js'
import type { Exchange, ExchangeObserver } from './exchange.js'
import { isInferredJoin } from './outbound-join.js'
import type { SpanExporter } from '../span/span-exporter.js'

/** Span event names for the sidecar's timing breakdown (named in README.md and docs/outbound-and-joining.md). */
export const SpanEventName = {
  upstreamConnectionReady: 'upstream.connection_ready',
  upstreamRequestSent: 'upstream.request_sent',
  upstreamFirstByte: 'upstream.first_byte',
  responseFinished: 'response.finished',
} as const

/** Attributes of our own, for what semantic conventions have no name for. */
export const TracecarAttr = {
  requestId: 'tracecar.request_id',
  invalidContextHeader: 'tracecar.invalid_context_header',
  propagationFormat: 'tracecar.propagation.format',
  upgradeBytesIn: 'tracecar.upgrade.bytes_from_client',
  upgradeBytesOut: 'tracecar.upgrade.bytes_to_client',
  /** Outbound: which rule joined the CLIENT span to its inbound request (context, correlation, worker_process, sole_inbound, none). */
  joinRule: 'tracecar.join.rule',
  /** Outbound: true when the parent was inferred (worker_process, sole_inbound), not named by the service. */
  joinInferred: 'tracecar.join.inferred',
  /** Outbound: true when the parent request's client had left while the service still worked on it. */
  joinParentAbandoned: 'tracecar.join.parent_abandoned',
  /** OpenTelemetry's `peer.service`: the named route the call went through. */
  peerService: 'peer.service',
} as const

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY'])

/** The method as OpenTelemetry names it: one of the known methods, else `_OTHER` (bounded cardinality). */
export function normalizedMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER'
}

/** Span name per OpenTelemetry HTTP conventions: `{method} {route}`, or the method alone. */
export function spanName(exchange: Exchange): string {
  const method = KNOWN_METHODS.has(exchange.method) ? exchange.method : 'HTTP'
  return exchange.route === '' ? method : `${method} ${exchange.route}`
}

/**
 * Writes the finished span of an exchange into a sink: straight into the OTLP
 * exporter's protobuf batch on the proxy's path, or into a SpanRecord
 * (`buildSpanRecord`). Runs once per sampled request on the main thread, so
 * it allocates nothing of its own beyond the span name.
 */
export const writeExchangeSpan: SpanWriter<Exchange> = (exchange, sink) => {
  sink.begin(exchange, spanName(exchange))
  const known = KNOWN_METHODS.has(exchange.method)
  sink.attribute(ATTR_HTTP_REQUEST_METHOD, known ? exchange.method : '_OTHER')
  if (!known) sink.attribute(ATTR_HTTP_REQUEST_METHOD_ORIGINAL, exchange.method)
  if (exchange.kind === SpanKind.CLIENT) {
    // A CONNECT tunnel has no URL: its host and port are server.address / server.port.
    if (exchange.upstreamOrigin !== '') sink.attribute(ATTR_URL_FULL, exchange.upstreamOrigin + exchange.path)
    if (exchange.joinRule !== '') {
      sink.attribute(TracecarAttr.joinRule, exchange.joinRule)
      if (isInferredJoin(exchange.joinRule)) sink.attribute(TracecarAttr.joinInferred, true)
      if (exchange.joinedAbandoned) sink.attribute(TracecarAttr.joinParentAbandoned, true)
    }
    if (exchange.peerService !== '') sink.attribute(TracecarAttr.peerService, exchange.peerService)
  } else {
    sink.attribute(ATTR_URL_PATH, exchange.path)
    sink.attribute(ATTR_URL_SCHEME, exchange.scheme)
  }
  if (exchange.route !== '') sink.attribute(ATTR_HTTP_ROUTE, exchange.route)
  if (exchange.host !== '') sink.attribute(ATTR_SERVER_ADDRESS, exchange.host)
  if (exchange.serverPort !== 0) sink.attribute(ATTR_SERVER_PORT, exchange.serverPort)
  if (exchange.clientAddress !== '') sink.attribute(ATTR_CLIENT_ADDRESS, exchange.clientAddress)
  if (exchange.peerAddress !== '') {
    sink.attribute(ATTR_NETWORK_PEER_ADDRESS, exchange.peerAddress)
    sink.attribute(ATTR_NETWORK_PEER_PORT, exchange.peerPort)
  }
  sink.attribute(ATTR_NETWORK_PROTOCOL_VERSION, exchange.httpVersion)
  if (exchange.userAgent !== '') sink.attribute(ATTR_USER_AGENT_ORIGINAL, exchange.userAgent)
  if (exchange.upgraded) {
    sink.attribute(TracecarAttr.upgradeBytesIn, exchange.requestBodyBytes)
    sink.attribute(TracecarAttr.upgradeBytesOut, exchange.responseBodyBytes)
  } else {
    sink.attribute(ATTR_HTTP_REQUEST_BODY_SIZE, exchange.requestBodyBytes)
    sink.attribute(ATTR_HTTP_RESPONSE_BODY_SIZE, exchange.responseBodyBytes)
  }
  if (exchange.statusCode !== 0) sink.attribute(ATTR_HTTP_RESPONSE_STATUS_CODE, exchange.statusCode)
  if (exchange.requestId !== '') sink.attribute(TracecarAttr.requestId, exchange.requestId)
  if (exchange.incomingFormat !== '') sink.attribute(TracecarAttr.propagationFormat, exchange.incomingFormat)
  if (exchange.invalidContextHeader !== '') sink.attribute(TracecarAttr.invalidContextHeader, exchange.invalidContextHeader)

  // Server spans: 5xx is an error of ours, 4xx is the caller's (OTel HTTP conventions).
  // Client spans: any 4xx/5xx is an error of the call.
  const errorStatusFloor = exchange.kind === SpanKind.CLIENT ? 400 : 500
  let errorType = exchange.errorType
  if (errorType === '' && exchange.statusCode >= errorStatusFloor) errorType = String(exchange.statusCode)
  if (errorType !== '') sink.attribute(ATTR_ERROR_TYPE, errorType)

  // The timing breakdown (the events named in SpanEventName above).
  if (exchange.upstreamConnectedUnixMs !== 0) sink.event(SpanEventName.upstreamConnectionReady, exchange.upstreamConnectedUnixMs)
  if (exchange.requestSentUnixMs !== 0) sink.event(SpanEventName.upstreamRequestSent, exchange.requestSentUnixMs)
  if (exchange.firstByteUnixMs !== 0) sink.event(SpanEventName.upstreamFirstByte, exchange.firstByteUnixMs)
  sink.event(SpanEventName.responseFinished, exchange.endUnixMs)

  sink.end(errorType === '' ? StatusCode.UNSET : StatusCode.ERROR, exchange.errorMessage)
}

/** The finished span of an exchange as a record (tests, and exporters that keep objects). */
export function buildSpanRecord(exchange: Exchange): SpanRecord {
  return spanRecordOf(exchange, writeExchangeSpan)
}

/** Observer that hands sampled exchanges' spans to the exporter. */
export class SpanObserver implements ExchangeObserver {
  constructor(private readonly exporter: SpanExporter) {}

  onExchangeEnd(exchange: Exchange): void {
    if (!exchange.sampled) return
    this.exporter.write(exchange, writeExchangeSpan)
  }
}
