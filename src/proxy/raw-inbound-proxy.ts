import net from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import type { ClientFailure } from './client-errors.js'
import { endExchange } from './exchange.js'
import type { Exchange } from './exchange.js'
import { rejectedExchange } from './rejected-request.js'
import { ClientConnection } from './http1/client-connection.js'
import { checkParserShape } from './http1/llhttp.js'
import type { RawEngineHost } from './http1/raw-exchange.js'
import type { RequestHead } from './http1/request-head.js'
import { sweepIntervalMs } from './http1/quiet-watch.js'
import { UpstreamPool } from './http1/upstream-pool.js'
import { InboundProxy } from './inbound-proxy.js'
import type { InboundProxyDeps } from './inbound-proxy.js'

/** Node's server keeps an idle client connection this long; so does the raw engine (and says so in `Keep-Alive`). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000
/** Idle upstream connections are closed before a Node upstream's 5 s default can race a request (undici's choice too). */
const UPSTREAM_KEEP_ALIVE_MS = 4_000

/**
 * The inbound side on the raw engine (`--http-engine raw`): client
 * connections parsed with llhttp straight off `net` sockets, requests
 * relayed over the engine's own keep-alive pool to the one upstream, with
 * no `IncomingMessage`, `ServerResponse` or undici handler per request.
 *
 * Everything about a request that is not HTTP framing is shared with the
 * node engine (`InboundProxy`): the exchange and its trace context, the
 * upstream headers, the response headers the proxy adds, the observers. An
 * `Upgrade` request (WebSocket) is handed, connection and all, to the node
 * engine's server, which relays it as it always does.
 */
export class RawInboundProxy implements RawEngineHost {
  readonly server: net.Server
  readonly pool: UpstreamPool
  readonly keepAliveTimeoutMs = KEEP_ALIVE_TIMEOUT_MS
  readonly config: InboundProxyDeps['config']
  /** The node engine: shared per-request code, and the relay for upgrades. */
  private readonly node: InboundProxy
  private readonly connections = new Set<ClientConnection>()
  /** Connections given to the node engine (upgrades), closed at the drain deadline if still open. */
  private readonly handedOver = new Set<Socket>()
  private draining = false
  private deadlinePassed = false
  private sweepTimer: NodeJS.Timeout | undefined
  private readonly sweepMs: number
  private readonly headersTimeoutMs: number
  /** Updated by the sweep: the time timeouts count from. */
  readonly clock = { nowMs: Date.now() }

  constructor(private readonly deps: InboundProxyDeps) {
    checkParserShape()
    const { config } = deps
    this.config = config
    this.node = new InboundProxy(deps)
    this.headersTimeoutMs = Math.min(60_000, config.timeouts.idleMs)
    this.pool = new UpstreamPool(
      {
        origin: new URL(config.upstream),
        maxConnections: config.limits.maxUpstreamConnections,
        connectTimeoutMs: config.timeouts.connectMs,
        headersTimeoutMs: config.timeouts.headersMs,
        idleTimeoutMs: config.timeouts.idleMs,
        keepAliveTimeoutMs: UPSTREAM_KEEP_ALIVE_MS,
        maxHeaderBytes: Math.max(config.limits.maxHeaderBytes, 16384),
      },
      this.clock,
    )
    const { connectMs, headersMs, idleMs } = config.timeouts
    this.sweepMs = sweepIntervalMs([connectMs, headersMs, idleMs, this.headersTimeoutMs, UPSTREAM_KEEP_ALIVE_MS])
    // Half-open: a client that shuts down its sending side still gets its answer.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, this.onConnection)
  }

  get replacedResponseHeaders(): ReadonlySet<string> {
    return this.node.replacedResponseHeaders
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.config.listen
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => {
        this.server.off('error', reject)
        this.sweepTimer = setInterval(this.sweep, this.sweepMs).unref()
        resolve(this.server.address() as AddressInfo)
      })
    })
  }

  isDraining(): boolean {
    return this.draining
  }

  drainDeadlinePassed(): boolean {
    return this.deadlinePassed
  }

  get inFlightCount(): number {
    let busy = 0
    for (const connection of this.connections) if (!connection.idle) busy++
    return busy
  }

  /** As the node engine's drain: stop accepting, let requests finish until the deadline, then cut them (`shutdown`). */
  async drain(deadlineMs: number): Promise<number> {
    this.draining = true
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    const upgrades = this.node.drain(deadlineMs)
    const start = Date.now()
    for (;;) {
      for (const connection of this.connections) if (connection.idle) connection.destroy()
      if (this.inFlightCount === 0 || Date.now() - start >= deadlineMs) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    const cut = this.inFlightCount
    if (cut > 0) {
      this.deadlinePassed = true
      for (const connection of this.connections) connection.destroy()
    }
    const upgradesCut = await upgrades
    for (const socket of this.handedOver) socket.destroy()
    await closed
    clearInterval(this.sweepTimer)
    this.pool.close()
    return cut + upgradesCut
  }

  beginExchange(head: RequestHead): Exchange {
    return this.node.beginExchange(head)
  }

  upstreamRequestHeaders(head: RequestHead, exchange: Exchange): string[] {
    return this.node.upstreamRequestHeaders(head, exchange).headers
  }

  addResponseHeaders(exchange: Exchange, out: string[]): void {
    this.node.addResponseHeaders(exchange, out)
  }

  track(exchange: Exchange, head: RequestHead): void {
    this.deps.inflight?.add(exchange, head.headers)
  }

  untrack(exchange: Exchange, head: RequestHead): void {
    this.deps.inflight?.delete(exchange, head.headers)
  }

  upstreamConnected(exchange: Exchange, socket: Socket): void {
    this.deps.inflight?.connected(exchange, socket)
  }

  abandon(exchange: Exchange): boolean {
    const inflight = this.deps.inflight
    if (inflight === undefined || !inflight.holdAbandoned) return false
    inflight.abandon(exchange)
    return true
  }

  finish(exchange: Exchange): void {
    endExchange(exchange, this.deps.observers, this.deps.onObserverError)
  }

  rejectedExchange(socket: Socket, failure: ClientFailure): Exchange {
    return rejectedExchange(socket, this.deps.propagation, failure)
  }

  handOver(socket: Socket, unparsed: Buffer): void {
    this.handedOver.add(socket)
    socket.once('close', () => this.handedOver.delete(socket))
    socket.unshift(unparsed)
    this.node.server.emit('connection', socket)
  }

  connectionClosed(connection: ClientConnection): void {
    this.connections.delete(connection)
  }

  private readonly onConnection = (socket: Socket): void => {
    if (this.draining) {
      socket.destroy()
      return
    }
    const connection = new ClientConnection(socket, this)
    this.connections.add(connection)
  }

  /** Every timeout of the engine, client and upstream side, in one pass (see QuietWatch). */
  private readonly sweep = (): void => {
    const now = Date.now()
    this.clock.nowMs = now
    for (const connection of this.connections) connection.sweep(now, this.headersTimeoutMs)
    this.pool.sweep(now)
  }
}
