import type { ClientRequest, IncomingMessage } from 'node:http'
import http from 'node:http'
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import type httpProxy from 'http-proxy'
import type { ProxyConfig } from '../config/proxy-config.js'
import { nowUnixMs } from '../span/clock.js'
import type { Exchange } from './exchange.js'
import type { RelaySettings } from './upstream-relay.js'
import { classifyUpstreamError } from './upstream-errors.js'

/** Per-session state, kept on the request object http-proxy hands back in its events. */
interface UpgradeSession {
  exchange: Exchange
  socket: Socket
  /** The upstream request headers the proxy sets itself (forwarding, trace context, correlation). */
  injected: string[]
}

/**
 * http-proxy, loaded when the first upgrade arrives: a sidecar whose clients
 * never upgrade a connection never loads it. Synchronous (it is CommonJS), so
 * the first upgrade is relayed exactly like the next ones.
 */
let httpProxyModule: typeof httpProxy | undefined
function loadHttpProxy(): typeof httpProxy {
  httpProxyModule ??= createRequire(import.meta.url)('http-proxy') as typeof httpProxy
  return httpProxyModule
}

const kSession = Symbol('tracecar.upgradeSession')
type UpgradeRequest = IncomingMessage & { [kSession]?: UpgradeSession }

/** Client headers replaced by ours on the upstream upgrade request. */
const REPLACED = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags', 'uber-trace-id']

/**
 * WebSocket and other `Upgrade` requests, relayed by http-proxy. The whole
 * session — handshake to the last byte either way — is one span whose byte
 * counts are read from the client socket when it closes.
 */
export class UpgradeTunnel {
  /** Created with the first upgrade (see loadHttpProxy). */
  private proxy: httpProxy | undefined
  private readonly open_ = new Set<Socket>()

  constructor(
    private readonly upstream: URL,
    private readonly config: ProxyConfig,
    private readonly settings: RelaySettings,
    private readonly finish: (exchange: Exchange) => void,
  ) {}

  private relay(): httpProxy {
    if (this.proxy === undefined) {
      const proxy = loadHttpProxy().createProxyServer({
        target: this.upstream.origin,
        ws: true,
        xfwd: false,
        changeOrigin: !this.config.preserveHost,
        proxyTimeout: this.config.timeouts.headersMs,
      })
      proxy.on('proxyReqWs', this.onProxyRequest)
      proxy.on('error', this.onError)
      this.proxy = proxy
    }
    return this.proxy
  }

  get openCount(): number {
    return this.open_.size
  }

  open(req: IncomingMessage, socket: Socket, head: Buffer, exchange: Exchange, upstreamHeaders: string[]): void {
    exchange.upgraded = true
    const session: UpgradeSession = { exchange, socket, injected: upstreamHeaders }
    ;(req as UpgradeRequest)[kSession] = session
    this.open_.add(socket)
    socket.once('close', () => {
      this.open_.delete(socket)
      exchange.requestBodyBytes = socket.bytesRead
      exchange.responseBodyBytes = socket.bytesWritten
      if (exchange.statusCode === 0 && exchange.errorType === '') {
        exchange.fail('client_disconnected', 'the client closed the connection before the upgrade completed')
      }
      this.finish(exchange)
    })
    this.relay().ws(req, socket, head)
  }

  closeAll(): void {
    for (const socket of this.open_) {
      const session = socket as Socket
      session.destroy()
    }
  }

  private readonly onProxyRequest = (proxyReq: ClientRequest, req: IncomingMessage): void => {
    const session = (req as UpgradeRequest)[kSession]
    if (session === undefined) return
    // http-proxy copied the client's headers; the client's trace context is
    // replaced and the proxy's own headers (forwarding, context, correlation) set.
    for (const name of REPLACED) proxyReq.removeHeader(name)
    const { injected, exchange } = session
    for (let i = 0; i < injected.length; i += 2) proxyReq.setHeader(injected[i]!, injected[i + 1]!)
    proxyReq.once('upgrade', (proxyRes: IncomingMessage) => {
      exchange.statusCode = 101
      exchange.firstByteUnixMs = nowUnixMs()
      const extra: string[] = []
      // Ours are merged with the service's Server-Timing metrics, not written over them.
      const serviceTiming = proxyRes.headers['server-timing']
      if (serviceTiming !== undefined) extra.push('server-timing', String(serviceTiming))
      this.settings.addResponseHeaders(exchange, extra)
      for (let i = 0; i < extra.length; i += 2) proxyRes.headers[extra[i]!] = extra[i + 1]!
    })
    proxyReq.once('response', (proxyRes: IncomingMessage) => {
      // The upstream declined the upgrade and answered with a plain response.
      exchange.statusCode = proxyRes.statusCode ?? 0
      exchange.firstByteUnixMs = nowUnixMs()
    })
    proxyReq.once('socket', () => {
      exchange.upstreamConnectedUnixMs = nowUnixMs()
    })
  }

  private readonly onError = (err: Error & { code?: string }, req: IncomingMessage, socket: unknown): void => {
    const session = (req as UpgradeRequest)[kSession]
    if (session === undefined) return
    const { exchange } = session
    // The classifier every other path uses: the same cause, the same error.type and status.
    const failure = classifyUpstreamError(err)
    exchange.fail(failure.errorType, failure.message)
    const s = socket as Socket
    if (exchange.statusCode === 0 && s.writable) {
      exchange.statusCode = failure.status
      const body = `tracecar: ${exchange.errorType}: ${exchange.errorMessage}\n`
      s.write(
        `HTTP/1.1 ${failure.status} ${http.STATUS_CODES[failure.status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      )
    }
  }
}
