import { randomUUID } from 'node:crypto'
import diagnosticsChannel from 'node:diagnostics_channel'
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Dispatcher, Pool } from 'undici'
import type { ProxyConfig } from '../config/proxy-config.js'
import { nowUnixMs } from '../span/clock.js'
import { endExchange, Exchange } from './exchange.js'
import type { ExchangeObserver } from './exchange.js'
import type { InflightExchanges } from './inflight-exchanges.js'
import { copyRequestHeaders, hasRepeatedHost } from './request-headers.js'
import { compileRoutes } from './route-matcher.js'
import type { RouteMatcher } from './route-matcher.js'
import type { TracePropagation } from './trace-propagation.js'
import { loadUndici } from './undici-on-demand.js'
import { upstreamDispatcherOptions, UpstreamRelay, writeErrorResponse } from './upstream-relay.js'
import type { AbortFn, RelaySettings } from './upstream-relay.js'
import { UpgradeTunnel } from './upgrade-tunnel.js'
import { describeClientError, describeTransferEncoding } from './client-errors.js'
import { rejectedExchange, rejectedRequestAnswer, unmapIPv4 } from './rejected-request.js'
import { formatServerTimingTrace, formatTraceresponse } from '../trace-context/index.js'
import { appendServerTiming } from './server-timing.js'

/**
 * What the per-request code shared by both engines reads of a request head:
 * Node's `IncomingMessage` has it, and so does the raw engine's `RequestHead`.
 */
export type InboundRequestHead = Pick<IncomingMessage, 'method' | 'url' | 'httpVersion' | 'headers' | 'rawHeaders'> & {
  socket: { remoteAddress?: string; remotePort?: number }
}

export interface InboundProxyDeps {
  config: ProxyConfig
  propagation: TracePropagation
  /** Told about every exchange once, when it ends: spans, access log, metrics. */
  observers: ExchangeObserver[]
  /** An observer threw: a bug of ours, reported without touching the traffic. */
  onObserverError?: (err: unknown) => void
  /** Requests in flight, for joining the service's outbound calls to them (outbound-join.ts). */
  inflight?: InflightExchanges
}

/**
 * The sidecar's inbound side: an HTTP/1.1 reverse proxy in front of one service.
 *
 * Per request it (1) records what the client sent on an Exchange, (2) reads or
 * starts the trace context, (3) forwards the request through undici's pool
 * with the context, the trace id and forwarding headers added, and (4) relays
 * the response as it streams. Every path — success, upstream failure, bad
 * request, client gone, upgrade — ends in exactly one call to `finish`.
 *
 * Never awaits on the request path: the only I/O is the two sockets.
 */
export class InboundProxy implements RelaySettings {
  readonly server: http.Server
  /** Created on the first dispatch: the raw engine wraps this class and never dispatches through undici. */
  private pool: Pool | undefined
  private readonly upgrades: UpgradeTunnel
  private readonly routes: RouteMatcher
  private readonly upstreamUrl: URL
  /** Correlation headers the proxy writes to the upstream itself (never the client's copy). */
  private readonly replacedRequestHeaders: ReadonlySet<string>
  readonly replacedResponseHeaders: ReadonlySet<string>
  /** Responses not yet finished, with their exchanges (drain, and the idle-timeout decision). */
  private readonly inFlight = new Map<ServerResponse, Exchange>()
  private draining = false
  private drainDeadlinePassed = false
  /** Requests being written upstream, by the abort function undici gave them (worker-process rule only). */
  private readonly connecting = new WeakMap<AbortFn, Exchange>()
  private listeningToUndici = false
  readonly upstreamConnecting: RelaySettings['upstreamConnecting']

  constructor(private readonly deps: InboundProxyDeps) {
    const { config } = deps
    this.upstreamConnecting = deps.inflight?.trackSockets === true ? this.rememberConnecting : undefined
    this.upstreamUrl = new URL(config.upstream)
    this.routes = compileRoutes(config.routes)
    const { headers } = config
    this.replacedRequestHeaders = new Set([headers.traceId, headers.spanId].filter((h) => h !== ''))
    this.replacedResponseHeaders = new Set(
      [headers.traceresponse ? 'traceresponse' : '', headers.responseTraceId ? headers.traceId : ''].filter((h) => h !== ''),
    )
    this.server = http.createServer({
      maxHeaderSize: config.limits.maxHeaderBytes,
      // A 1 GiB upload may take longer than Node's 5-minute default; the idle
      // timeout below is what guards against a stalled client instead.
      requestTimeout: 0,
      headersTimeout: Math.min(60_000, config.timeouts.idleMs),
      keepAliveTimeout: 65_000,
      // Answered by the proxy itself with a span (see onRequest).
      requireHostHeader: false,
    })
    this.server.timeout = config.timeouts.idleMs
    this.server.on('timeout', this.onClientSocketIdle)
    this.server.on('request', this.onRequest)
    this.server.on('clientError', this.onClientError)
    this.upgrades = new UpgradeTunnel(this.upstreamUrl, config, this, (exchange) => this.finish(exchange))
    this.server.on('upgrade', this.onUpgrade)
  }

  listen(): Promise<AddressInfo> {
    // The node engine dispatches every request through the pool: load undici now, not on the first request.
    this.upstreamPool()
    const { host, port } = this.deps.config.listen
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  isDraining(): boolean {
    return this.draining
  }

  /** Requests (and upgraded sessions) not yet finished. */
  get inFlightCount(): number {
    return this.inFlight.size + this.upgrades.openCount
  }

  /**
   * Stops accepting connections and waits for in-flight requests to finish, up
   * to `deadlineMs`; what is still open then is closed and its span ends with
   * `error.type` `shutdown`. Resolves with the number of requests cut short.
   */
  async drain(deadlineMs: number): Promise<number> {
    this.draining = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeIdleConnections()
    const start = Date.now()
    while (this.inFlightCount > 0 && Date.now() - start < deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      this.server.closeIdleConnections()
    }
    const cut = this.inFlightCount
    if (cut > 0) {
      this.drainDeadlinePassed = true
      this.upgrades.closeAll()
      this.server.closeAllConnections()
    }
    await closed
    const pool = this.pool
    if (pool !== undefined) await pool.close().catch(() => pool.destroy())
    if (this.listeningToUndici) diagnosticsChannel.unsubscribe('undici:client:sendHeaders', this.onSendHeaders)
    return cut
  }

  /**
   * undici tells no handler which socket its request went over; its
   * `sendHeaders` diagnostics message (published right after the handler's
   * onConnect, in the same call) names the request, whose `abort` is the
   * function that onConnect got, and the socket. Subscribed on the first
   * request, only with the worker-process rule on.
   */
  private upstreamPool(): Pool {
    this.pool ??= new (loadUndici().Pool)(this.upstreamUrl.origin, upstreamDispatcherOptions(this.deps.config))
    return this.pool
  }

  private readonly rememberConnecting = (exchange: Exchange, abort: AbortFn): void => {
    if (!this.listeningToUndici) {
      this.listeningToUndici = true
      diagnosticsChannel.subscribe('undici:client:sendHeaders', this.onSendHeaders)
    }
    this.connecting.set(abort, exchange)
  }

  private readonly onSendHeaders = (message: unknown): void => {
    const { request, socket } = message as { request: { abort?: AbortFn }; socket: Socket }
    if (request.abort === undefined) return
    const exchange = this.connecting.get(request.abort)
    if (exchange === undefined) return
    this.connecting.delete(request.abort)
    this.deps.inflight?.connected(exchange, socket)
  }

  addResponseHeaders(exchange: Exchange, out: string[]): void {
    const { headers } = this.deps.config
    if (exchange.traceId === '') return
    if (headers.traceresponse) {
      const traceresponse = formatTraceresponse(exchange.traceId, exchange.spanId, exchange.traceFlags)
      out.push('traceresponse', traceresponse)
      appendServerTiming(out, formatServerTimingTrace(traceresponse))
    }
    if (headers.responseTraceId && headers.traceId !== '') out.push(headers.traceId, exchange.traceId)
  }

  /** Fills in what the client sent and the trace context; shared by requests and upgrades. */
  beginExchange(req: InboundRequestHead): Exchange {
    const exchange = new Exchange(nowUnixMs())
    const socket = req.socket
    exchange.method = req.method ?? ''
    const target = req.url ?? ''
    exchange.target = target
    const q = target.indexOf('?')
    exchange.path = q === -1 ? target : target.slice(0, q)
    exchange.httpVersion = req.httpVersion
    exchange.peerAddress = unmapIPv4(socket.remoteAddress ?? '')
    exchange.peerPort = socket.remotePort ?? 0
    const h = req.headers
    const xff = h['x-forwarded-for']
    exchange.clientAddress = xff === undefined ? exchange.peerAddress : firstListItem(Array.isArray(xff) ? xff[0]! : xff)
    exchange.userAgent = h['user-agent'] ?? ''
    const host = h.host ?? ''
    splitHost(host, exchange, this.deps.config.listen.port)
    exchange.route = this.routes(exchange.path) ?? ''
    const requestIdHeader = this.deps.config.headers.requestId
    if (requestIdHeader !== '') {
      const incoming = h[requestIdHeader]
      exchange.requestId = typeof incoming === 'string' && incoming !== '' ? incoming : randomUUID()
    }
    this.deps.propagation.begin(exchange, h, req.rawHeaders)
    return exchange
  }

  /** Headers for the upstream request: the client's, minus hop-by-hop, plus ours. */
  upstreamRequestHeaders(req: InboundRequestHead, exchange: Exchange): { headers: string[]; ownFrom: number } {
    const { config } = this.deps
    const out: string[] = []
    const ownFrom = copyRequestHeaders(
      req.rawHeaders,
      this.replacedRequestHeaders,
      config.preserveHost,
      {
        peerAddress: exchange.peerAddress,
        scheme: exchange.scheme,
        host: req.headers.host ?? '',
      },
      out,
    )
    this.deps.propagation.inject(exchange, out)
    const { headers } = config
    if (headers.traceId !== '') out.push(headers.traceId, exchange.traceId)
    if (headers.spanId !== '') out.push(headers.spanId, exchange.spanId)
    if (headers.requestId !== '' && req.headers[headers.requestId] === undefined) {
      out.push(headers.requestId, exchange.requestId)
    }
    return { headers: out, ownFrom }
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const exchange = this.beginExchange(req)
    this.inFlight.set(res, exchange)
    // Before the request reaches the service, so its outbound calls can find it.
    this.deps.inflight?.add(exchange, req.headers)
    const relay = new UpstreamRelay(exchange, res, this)
    res.on('close', () => {
      this.inFlight.delete(res)
      const inflight = this.deps.inflight
      if (!res.writableFinished) {
        if (this.drainDeadlinePassed) exchange.fail('shutdown', 'drain deadline passed before the response finished')
        else exchange.fail('client_disconnected', 'the client closed the connection before the response finished')
        if (inflight?.holdAbandoned === true && exchange.requestSentUnixMs !== 0 && !this.drainDeadlinePassed) {
          // The service has the whole request and is still working on it: its
          // late calls are this request's. It leaves the in-flight list when the
          // service's response ends or its connection closes.
          inflight.abandon(exchange)
          relay.abandon(() => inflight.delete(exchange, req.headers))
          this.finish(exchange)
          return
        }
        relay.cancel()
      }
      inflight?.delete(exchange, req.headers)
      this.finish(exchange)
    })

    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) {
      exchange.fail('missing_host', 'HTTP/1.1 request without a Host header')
      writeErrorResponse(res, exchange, this, 400)
      return
    }
    if (hasRepeatedHost(req.rawHeaders)) {
      // RFC 9110 §7.2 (undici would refuse to send it, and the client would see a 502).
      exchange.fail('malformed_request', 'more than one Host header (RFC 9110 §7.2)')
      res.shouldKeepAlive = false
      writeErrorResponse(res, exchange, this, 400)
      return
    }

    const transferEncoding = req.headers['transfer-encoding']
    if (transferEncoding !== undefined) {
      const failure = describeTransferEncoding(transferEncoding)
      if (failure !== undefined) {
        // Never forwarded: the service could read the body's end elsewhere than we
        // do (request smuggling). Node's parser rejects the rest of it at once
        // (clientError, which leaves this answer to finish and close the connection).
        exchange.fail(failure.errorType, failure.message)
        res.shouldKeepAlive = false
        writeErrorResponse(res, exchange, this, failure.status)
        return
      }
    }

    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : transferEncoding !== undefined
    const options: Dispatcher.DispatchOptions = {
      path: exchange.target,
      method: exchange.method as Dispatcher.HttpMethod,
      headers: this.upstreamRequestHeaders(req, exchange).headers,
      body: hasBody ? req : null,
      // A proxied request is never silently retried: it may not be idempotent.
      idempotent: false,
      upgrade: null,
    }
    this.upstreamPool().dispatch(options, relay as unknown as Dispatcher.DispatchHandler)
  }

  /**
   * No bytes on a client socket for `timeouts.idleMs`. Between requests, or
   * while the client is still to send its request body, the client is the one
   * stalling: close it. While the request is complete and the response is
   * awaited, the upstream is the one stalling, and undici's own timeouts
   * (headers, body idle) end the exchange with the right error instead.
   */
  private readonly onClientSocketIdle = (socket: Socket): void => {
    const res = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage
    const exchange = res === undefined ? undefined : this.inFlight.get(res)
    if (exchange !== undefined && res!.req.complete) return
    exchange?.fail('client_idle_timeout', `no bytes from the client for ${this.deps.config.timeouts.idleMs} ms`)
    socket.destroy()
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const exchange = this.beginExchange(req)
    const { headers, ownFrom } = this.upstreamRequestHeaders(req, exchange)
    this.upgrades.open(req, socket as Socket, head, exchange, headers.slice(ownFrom))
  }

  /**
   * A request Node's parser rejected before it became a request: answer it
   * (431 for oversized headers, 400 for anything malformed) and record it as a
   * span of a new trace, since no trace context could be read from it.
   */
  private readonly onClientError = (err: Error & { code?: string }, socket: Duplex): void => {
    const s = socket as Socket
    const failure = describeClientError(err)
    const active = (s as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
    if (active !== undefined && active !== null && active.writableEnded && this.inFlight.has(active)) {
      // Already answered by onRequest (a framing it refuses to forward): the answer
      // is still being written, and closes the connection once it is.
      return
    }
    if (failure === undefined || (active !== undefined && active !== null)) {
      // A reset between requests (there was no request), or trouble in the body
      // of a request already under way, whose exchange records how it ended.
      socket.destroy()
      return
    }
    const exchange = rejectedExchange(s, this.deps.propagation, failure)
    if (socket.writable) {
      const own: string[] = []
      this.addResponseHeaders(exchange, own)
      socket.end(rejectedRequestAnswer(failure, own))
    } else {
      socket.destroy()
    }
    this.finish(exchange)
  }

  private finish(exchange: Exchange): void {
    endExchange(exchange, this.deps.observers, this.deps.onObserverError)
  }
}

function firstListItem(value: string): string {
  const comma = value.indexOf(',')
  return (comma === -1 ? value : value.slice(0, comma)).trim()
}

/** Host header → server.address / server.port (default: the port the client called). */
function splitHost(host: string, exchange: Exchange, listenPort: number): void {
  if (host === '') return
  let colon = host.lastIndexOf(':')
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    if (colon < close) colon = -1
    exchange.host = host.slice(1, close === -1 ? undefined : close)
  } else {
    exchange.host = colon === -1 ? host : host.slice(0, colon)
  }
  const port = colon === -1 ? NaN : Number(host.slice(colon + 1))
  exchange.serverPort = Number.isInteger(port) ? port : listenPort
}
