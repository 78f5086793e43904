import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import net from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Agent, Dispatcher } from 'undici'
import type { NamedRoute, ProxyConfig } from '../config/proxy-config.js'
import { listenOn } from '../http/listen.js'
import { nowUnixMs } from '../span/clock.js'
import { SpanKind } from '../span/span-record.js'
import { answerAndClose, ConnectTunnels } from './connect-tunnel.js'
import { endExchange, Exchange } from './exchange.js'
import type { ExchangeObserver } from './exchange.js'
import type { InflightExchanges } from './inflight-exchanges.js'
import { createClientAccessCheck } from './outbound-access.js'
import type { ClientAccessCheck } from './outbound-access.js'
import { compileExclusions } from './outbound-exclusions.js'
import type { ExclusionMatcher } from './outbound-exclusions.js'
import { joinOutbound } from './outbound-join.js'
import type { JoinSources } from './outbound-join.js'
import type { OutboundMetrics } from './outbound-metrics.js'
import { copyOutboundRequestHeaders } from './outbound-request-headers.js'
import { parseAbsoluteTarget, parseConnectAuthority } from './outbound-target.js'
import type { OutboundTarget } from './outbound-target.js'
import type { TracePropagation } from './trace-propagation.js'
import { loadUndici } from './undici-on-demand.js'
import { upstreamDispatcherOptions, UpstreamRelay, writeErrorResponse } from './upstream-relay.js'
import type { RelaySettings } from './upstream-relay.js'
import type { WorkerProcessJoin } from './worker-process-join.js'

export interface OutboundProxyDeps {
  config: ProxyConfig
  propagation: TracePropagation
  /** The inbound requests in flight, for the correlation, worker-process and sole-inbound join rules. */
  inflight: InflightExchanges | undefined
  /** The worker-process rule, when it is on. */
  workerProcess: WorkerProcessJoin | undefined
  /** The same observers as inbound: spans, metrics, access log. */
  observers: ExchangeObserver[]
  metrics: OutboundMetrics
  onObserverError?: (err: unknown) => void
}

/** Where the outbound listeners ended up (port 0 picks a free one). */
export interface OutboundAddresses {
  forward: AddressInfo
  routes: Array<{ name: string; upstream: string; address: AddressInfo }>
}

interface Listener {
  /** Accepts connections and hands the allowed ones to `http`. */
  tcp: net.Server
  http: http.Server
  host: string
  port: number
  route: NamedRoute | undefined
}

/**
 * The sidecar's outbound side, for the service's own calls: a forward HTTP
 * proxy (the service runs with `HTTP_PROXY=http://127.0.0.1:15001`) and one
 * listener per named route (`payments=http://payments:8080@15101`) for clients
 * that cannot use a proxy.
 *
 * Every call is a CLIENT span built exactly like an inbound SERVER span (the
 * same Exchange, UpstreamRelay timings, failure answers and observers); its
 * parent is found by the join rules (outbound-join.ts), and its context is
 * written on to the destination in the configured formats. `CONNECT` is
 * relayed as one span per tunnel (connect-tunnel.ts).
 *
 * Only clients in `outbound.allowClients` (loopback by default) are served:
 * checked per connection, before any request is read.
 *
 * Never awaits on the request path: the only I/O is the two sockets.
 */
export class OutboundProxy implements RelaySettings {
  readonly replacedResponseHeaders: ReadonlySet<string> = new Set()
  /** Created on the first outbound request: many services never make one (see undici-on-demand.ts). */
  private agent: Agent | undefined
  private readonly listeners: Listener[] = []
  private readonly tunnels: ConnectTunnels
  private readonly allowed: ClientAccessCheck
  private readonly excluded: ExclusionMatcher
  private readonly inFlight = new Map<ServerResponse, Exchange>()
  private readonly joinSources: JoinSources
  private draining = false
  private drainDeadlinePassed = false

  constructor(private readonly deps: OutboundProxyDeps) {
    const { config, metrics } = deps
    const { outbound } = config
    this.joinSources = {
      rules: outbound.join,
      propagation: deps.propagation,
      inflight: deps.inflight,
      workerProcess: deps.workerProcess,
      declined: (rule, reason) => metrics.declined(rule, reason),
    }
    this.allowed = createClientAccessCheck(outbound.allowClients)
    this.excluded = compileExclusions(outbound.exclude)
    this.tunnels = new ConnectTunnels({ connectTimeoutMs: config.timeouts.connectMs, idleMs: config.timeouts.idleMs }, (exchange) => this.finish(exchange))
    this.listeners.push(this.createListener(outbound.port, undefined))
    for (const route of outbound.routes) this.listeners.push(this.createListener(route.port, route))
  }

  private dispatcher(): Agent {
    this.agent ??= new (loadUndici().Agent)(upstreamDispatcherOptions(this.deps.config))
    return this.agent
  }

  async listen(): Promise<OutboundAddresses> {
    const addresses: AddressInfo[] = []
    try {
      for (const listener of this.listeners) {
        addresses.push(await listenOn(listener.tcp, listener.port, listener.host))
        // What http.Server does on its own 'listening': start tracking connections
        // (headers timeout, closeIdleConnections) although the TCP server is ours.
        listener.http.emit('listening')
      }
    } catch (err) {
      for (const listener of this.listeners) listener.tcp.close()
      throw err
    }
    return {
      forward: addresses[0]!,
      routes: this.listeners.slice(1).map((listener, i) => ({
        name: listener.route!.name,
        upstream: listener.route!.upstream,
        address: addresses[i + 1]!,
      })),
    }
  }

  isDraining(): boolean {
    return this.draining
  }

  addResponseHeaders(): void {
    // The service is the caller: the trace is already its own, nothing to tell it.
  }

  get inFlightCount(): number {
    return this.inFlight.size + this.tunnels.openCount
  }

  /** As InboundProxy.drain: stop accepting, wait up to `deadlineMs`, cut what is left. */
  async drain(deadlineMs: number): Promise<number> {
    this.draining = true
    const closed = Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => l.tcp.close(() => resolve()))))
    for (const l of this.listeners) l.http.closeIdleConnections()
    const start = Date.now()
    while (this.inFlightCount > 0 && Date.now() - start < deadlineMs) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      for (const l of this.listeners) l.http.closeIdleConnections()
    }
    const cut = this.inFlightCount
    if (cut > 0) {
      this.drainDeadlinePassed = true
      this.tunnels.closeAll()
      for (const l of this.listeners) l.http.closeAllConnections()
    }
    await closed
    // Stops the HTTP server's connection-tracking timer (its TCP server is ours, already closed).
    for (const l of this.listeners) l.http.close()
    const agent = this.agent
    if (agent !== undefined) await agent.close().catch(() => agent.destroy())
    return cut
  }

  private createListener(port: number, route: NamedRoute | undefined): Listener {
    const { config } = this.deps
    const server = http.createServer({
      maxHeaderSize: config.limits.maxHeaderBytes,
      requestTimeout: 0,
      headersTimeout: Math.min(60_000, config.timeouts.idleMs),
      keepAliveTimeout: 65_000,
    })
    server.timeout = config.timeouts.idleMs
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, route))
    server.on('upgrade', this.onUpgrade)
    if (route === undefined) server.on('connect', this.onConnect)
    // The HTTP server never listens itself: connections reach it only past the access check.
    const tcp = net.createServer({ allowHalfOpen: true }, (socket) => {
      if (this.allowed(socket.remoteAddress)) {
        server.emit('connection', socket)
        return
      }
      this.deps.metrics.clientRefused()
      socket.on('error', () => socket.destroy())
      socket.end(
        'HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n' +
          'tracecar: client_not_allowed: this outbound proxy serves only outbound.allowClients (loopback by default)\n',
        () => socket.destroy(),
      )
    })
    return { tcp, http: server, host: config.outbound.host, port, route }
  }

  /** A new CLIENT exchange with what the service sent. */
  private beginExchange(req: IncomingMessage): Exchange {
    const exchange = new Exchange(nowUnixMs())
    exchange.kind = SpanKind.CLIENT
    exchange.method = req.method ?? ''
    exchange.httpVersion = req.httpVersion
    exchange.userAgent = req.headers['user-agent'] ?? ''
    return exchange
  }

  /** True (and counted) when the destination is excluded: relayed untouched, no observer ever sees it. */
  private excludedDestination(exchange: Exchange, host: string, port: number, route: NamedRoute | undefined): boolean {
    if (route !== undefined || !this.excluded(host, port)) return false
    this.deps.metrics.destinationExcluded()
    exchange.finished = true
    return true
  }

  /**
   * Parent and sampling from the join rules, then `then`: at once, or once the
   * worker-process rule has read /proc. Not called when the exchange ended
   * meanwhile (the service gave up on its call).
   */
  private join(exchange: Exchange, req: IncomingMessage, then: () => void): void {
    joinOutbound(exchange, req.headers, req.rawHeaders, req.socket, this.joinSources, (outcome) => {
      if (exchange.finished) return
      exchange.joinRule = outcome
      this.deps.metrics.joined(outcome)
      then()
    })
  }

  private onRequest(req: IncomingMessage, res: ServerResponse, route: NamedRoute | undefined): void {
    const exchange = this.beginExchange(req)
    let target: OutboundTarget | undefined
    if (route !== undefined) {
      target = routeTarget(route, req.url ?? '/')
      exchange.peerService = route.name
    } else {
      target = parseAbsoluteTarget(req.url ?? '')
    }
    this.inFlight.set(res, exchange)
    const relay = new UpstreamRelay(exchange, res, this)
    res.on('close', () => {
      this.inFlight.delete(res)
      if (!res.writableFinished) {
        if (this.drainDeadlinePassed) exchange.fail('shutdown', 'drain deadline passed before the response finished')
        else exchange.fail('client_disconnected', 'the client closed the connection before the response finished')
        relay.cancel()
      }
      this.finish(exchange)
    })

    if (target === undefined) {
      exchange.target = req.url ?? ''
      exchange.path = exchange.target.split('?')[0]!
      this.join(exchange, req, () => {
        exchange.fail('not_a_proxy_request', 'expected an absolute http:// URL (this port is a forward proxy: set HTTP_PROXY, or use a named route)')
        writeErrorResponse(res, exchange, this, 400)
      })
      return
    }
    exchange.upstreamOrigin = target.origin
    exchange.host = target.host
    exchange.serverPort = target.port
    exchange.target = target.target
    exchange.path = target.path
    if (this.excludedDestination(exchange, target.host, target.port, route)) this.dispatch(exchange, req, relay, target, false)
    else this.join(exchange, req, () => this.dispatch(exchange, req, relay, target, true))
  }

  /** Sends the call on to its destination; `traced`: with the context written on. */
  private dispatch(exchange: Exchange, req: IncomingMessage, relay: UpstreamRelay, target: OutboundTarget, traced: boolean): void {
    const headers: string[] = []
    copyOutboundRequestHeaders(req.rawHeaders, traced, headers)
    if (traced) this.deps.propagation.inject(exchange, headers)
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined
    const options: Dispatcher.DispatchOptions = {
      origin: target.origin,
      path: target.target,
      method: exchange.method as Dispatcher.HttpMethod,
      headers,
      body: hasBody ? req : null,
      // A call is never silently retried: it may not be idempotent.
      idempotent: false,
      upgrade: null,
    }
    this.dispatcher().dispatch(options, relay as unknown as Dispatcher.DispatchHandler)
  }

  private readonly onConnect = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const client = socket as Socket
    const exchange = this.beginExchange(req)
    exchange.target = req.url ?? ''
    const authority = parseConnectAuthority(exchange.target)
    if (authority === undefined) {
      this.join(exchange, req, () => {
        exchange.fail('malformed_request', `CONNECT needs host:port, got ${JSON.stringify(exchange.target.slice(0, 100))}`)
        answerAndClose(client, exchange, 400)
        this.finish(exchange)
      })
      return
    }
    exchange.host = authority.host
    exchange.serverPort = authority.port
    const open = (): void => {
      if (this.draining) {
        exchange.fail('shutdown', 'the proxy is shutting down')
        answerAndClose(client, exchange, 503)
        this.finish(exchange)
        return
      }
      this.tunnels.open(client, head, exchange, authority.host, authority.port)
    }
    if (this.excludedDestination(exchange, authority.host, authority.port, undefined)) open()
    else this.join(exchange, req, open)
  }

  /** WebSocket and other upgrades through a forward proxy are made with CONNECT by clients; absolute-form ones are refused. */
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex): void => {
    const exchange = this.beginExchange(req)
    exchange.target = req.url ?? ''
    exchange.path = exchange.target.split('?')[0]!
    this.join(exchange, req, () => {
      exchange.fail('upgrade_not_supported', 'upgrades through the outbound proxy must use CONNECT')
      answerAndClose(socket as Socket, exchange, 501)
      this.finish(exchange)
    })
  }

  private finish(exchange: Exchange): void {
    endExchange(exchange, this.deps.observers, this.deps.onObserverError)
  }
}

function routeTarget(route: NamedRoute, requestTarget: string): OutboundTarget {
  const url = new URL(route.upstream)
  const q = requestTarget.indexOf('?')
  return {
    origin: route.upstream,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    target: requestTarget,
    path: q === -1 ? requestTarget : requestTarget.slice(0, q),
  }
}
