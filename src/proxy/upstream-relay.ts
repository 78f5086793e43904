import type { ServerResponse } from 'node:http'
import type { Pool } from 'undici'
import type { ProxyConfig } from '../config/proxy-config.js'
import { nowUnixMs } from '../span/clock.js'
import type { Exchange } from './exchange.js'
import { copyResponseHeaders, trailerPairs } from './response-headers.js'
import { classifyUpstreamError } from './upstream-errors.js'

/** What the relay needs from the proxy that owns it; one instance shared by all requests. */
/**
 * How both proxies reach their upstreams through undici (the inbound Pool to the
 * service, the outbound Agent to anywhere): the same limits and timeouts.
 */
export function upstreamDispatcherOptions(config: ProxyConfig): Pool.Options {
  return {
    connections: config.limits.maxUpstreamConnections,
    pipelining: 1,
    connect: { timeout: config.timeouts.connectMs },
    headersTimeout: config.timeouts.headersMs,
    bodyTimeout: config.timeouts.idleMs,
    keepAliveTimeout: 4_000,
  }
}

export interface RelaySettings {
  /** Response headers the proxy sets itself (lower-case), dropped from the upstream's. */
  readonly replacedResponseHeaders: ReadonlySet<string>
  /**
   * Appends the proxy's own response headers (traceresponse, x-trace-id) and adds the
   * `trace` metric to the Server-Timing already in `out` (the service's).
   */
  addResponseHeaders(exchange: Exchange, out: string[]): void
  /** True once shutdown began: responses then close their connection. */
  isDraining(): boolean
  /** Set when it wants to know which connection each request goes upstream over (the worker-process join rule). */
  readonly upstreamConnecting?: ((exchange: Exchange, abort: AbortFn) => void) | undefined
}

export type AbortFn = (err?: Error) => void

/**
 * Streams one upstream response to the client as undici delivers it.
 *
 * This uses undici's callback handler contract (onConnect, onHeaders, onData,
 * onComplete, onError, plus onRequestSent / onResponseStarted / onBodySent),
 * not the wrapped onRequestStart/onResponseStart form: the callbacks hand us
 * raw header buffers without a per-request wrapper or a parsed header object,
 * and they are the only ones that report when the request went out and when
 * the first response byte came back. Each callback stamps its time on the
 * exchange; those stamps are the span's timing events.
 *
 * Backpressure: onData returns false when the client socket is full, which
 * pauses undici's parser (and so the upstream socket) until `drain`.
 */
export class UpstreamRelay {
  private abortUpstream: AbortFn | undefined
  private clientGone = false
  private resume: (() => void) | undefined
  /** Set when the client socket first pushed back; most responses never do, and never pay for the listener. */
  private listeningForDrain = false
  /** undici is done with the request (completed or failed). */
  private settled = false
  /** Set when the client left and the response is read to its end and dropped: called then. */
  private abandonedEnd: (() => void) | undefined

  constructor(
    private readonly exchange: Exchange,
    private readonly res: ServerResponse,
    private readonly settings: RelaySettings,
  ) {}

  /** The client went away: stop the upstream request (and its socket) at once. */
  cancel(): void {
    this.clientGone = true
    if (this.abortUpstream !== undefined) this.abortUpstream()
  }

  /**
   * The client went away after the service got the whole request: the
   * response is read to its end and dropped (the service's connection stays
   * open while it works), then `done`. Bounded by the upstream timeouts.
   */
  abandon(done: () => void): void {
    this.clientGone = true
    if (this.settled) done()
    else this.abandonedEnd = done
  }

  onConnect(abort: AbortFn): void {
    this.abortUpstream = abort
    if (this.clientGone) {
      abort()
      return
    }
    this.exchange.upstreamConnectedUnixMs = nowUnixMs()
    this.settings.upstreamConnecting?.(this.exchange, abort)
  }

  onBodySent(chunk: Buffer | string): void {
    this.exchange.requestBodyBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
  }

  onRequestSent(): void {
    this.exchange.requestSentUnixMs = nowUnixMs()
  }

  onResponseStarted(): void {
    if (this.exchange.firstByteUnixMs === 0) this.exchange.firstByteUnixMs = nowUnixMs()
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    const { res, exchange } = this
    if (this.abandonedEnd !== undefined) return true
    if (statusCode < 200) {
      this.relayInformational(statusCode, rawHeaders)
      return true
    }
    exchange.responseHeadersUnixMs = nowUnixMs()
    exchange.statusCode = statusCode
    this.resume = resume
    const headers: string[] = []
    copyResponseHeaders(rawHeaders, this.settings.replacedResponseHeaders, headers)
    this.settings.addResponseHeaders(exchange, headers)
    if (this.settings.isDraining()) res.shouldKeepAlive = false
    try {
      res.writeHead(statusCode, statusText, headers)
    } catch (err) {
      // A header Node refuses to write (it validated what llhttp accepted): the
      // response cannot be relayed faithfully, so it is a bad gateway.
      exchange.statusCode = 0
      exchange.fail('upstream_protocol_error', (err as Error).message)
      this.abortUpstream?.()
      writeErrorResponse(res, exchange, this.settings, 502)
      return false
    }
    return true
  }

  onData(chunk: Buffer): boolean {
    if (this.abandonedEnd !== undefined) return true
    this.exchange.responseBodyBytes += chunk.length
    const flowing = this.res.write(chunk)
    if (!flowing && !this.listeningForDrain) {
      this.listeningForDrain = true
      this.res.on('drain', () => this.resume?.())
    }
    return flowing
  }

  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    const { res } = this
    this.settled = true
    if (this.abandonedEnd !== undefined) return this.abandonedEnd()
    if (rawTrailers !== null && rawTrailers.length > 0) res.addTrailers(trailerPairs(rawTrailers))
    res.end()
  }

  onError(err: Error): void {
    const { res, exchange } = this
    this.settled = true
    if (this.abandonedEnd !== undefined) return this.abandonedEnd()
    if (this.clientGone) return
    const failure = classifyUpstreamError(err)
    exchange.fail(failure.errorType, failure.message)
    if (!res.headersSent) {
      writeErrorResponse(res, exchange, this.settings, failure.status)
    } else {
      // The status line is out; the only honest signal left is a truncated response.
      res.destroy()
    }
  }

  onUpgrade(): void {
    // Upgrades are never dispatched through undici (see upgrade-tunnel.ts).
  }

  private relayInformational(statusCode: number, rawHeaders: Buffer[]): void {
    if (statusCode === 103) {
      const hints: Record<string, string | string[]> = {}
      for (let i = 0; i < rawHeaders.length; i += 2) {
        if (rawHeaders[i]!.toString('latin1').toLowerCase() === 'link') {
          const existing = hints.link
          const value = rawHeaders[i + 1]!.toString('latin1')
          hints.link = existing === undefined ? value : ([] as string[]).concat(existing, value)
        }
      }
      if (hints.link !== undefined) this.res.writeEarlyHints(hints)
    } else if (statusCode === 102) {
      this.res.writeProcessing()
    }
    // Other 1xx codes have no Node API to relay them; dropping them is allowed (RFC 9110 §15.2).
  }
}

/** The proxy's own answer when the upstream could not give one (502, 504...). */
export function writeErrorResponse(res: ServerResponse, exchange: Exchange, settings: RelaySettings, status: number): void {
  if (res.headersSent || res.destroyed) return
  exchange.statusCode = status
  const body = `tracecar: ${exchange.errorType}: ${exchange.errorMessage}\n`
  const headers: string[] = ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body))]
  settings.addResponseHeaders(exchange, headers)
  if (settings.isDraining()) res.shouldKeepAlive = false
  if (!res.req.complete) {
    // The client is still sending a body the service will never get (it may
    // have been paused for a service that then died): the connection cannot be
    // reused, and what still comes is read and dropped so the client can read
    // this answer instead of blocking on a full socket.
    res.shouldKeepAlive = false
    res.req.resume()
  }
  res.writeHead(status, headers)
  res.end(exchange.method === 'HEAD' ? undefined : body)
}
