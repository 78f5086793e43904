import net from 'node:net'
import tls from 'node:tls'
import { writeChunk } from './chunked.js'
import { createParser, isParseError, SKIP_BODY } from './llhttp.js'
import type { Llhttp } from './llhttp.js'
import { QuietWatch } from './quiet-watch.js'
import type { SweepClock } from './quiet-watch.js'
import { READ_BUFFER } from './shared-read-buffer.js'

/**
 * What one request does with the upstream connection it was given. The pool
 * calls these in order: `onConnection` once (write the request), then the
 * response's head, body pieces and end, or `onUpstreamError` once instead of
 * whatever has not happened yet.
 */
export interface UpstreamRequest {
  onConnection(connection: UpstreamConnection): void
  /** The first response byte arrived. */
  onResponseStarted(): void
  /** 1xx responses before the final one (103 Early Hints, 102 Processing...). */
  onInformational(statusCode: number, rawHeaders: string[]): void
  /** Return true when the response can have no body whatever it says (the request was HEAD). */
  onResponseHead(statusCode: number, statusText: string, rawHeaders: string[]): boolean
  onResponseBody(chunk: Buffer): void
  /** `rawTrailers`: trailer fields of a chunked response, flat [name, value…]. */
  onResponseEnd(rawTrailers: string[]): void
  /** One read of the upstream socket has been parsed (what it held was handed over). */
  onReadDone(): void
  onUpstreamError(err: Error & { code?: string }): void
}

export interface UpstreamPoolOptions {
  /** http: or https: origin of the one upstream. */
  origin: URL
  maxConnections: number
  connectTimeoutMs: number
  /** Request sent → response head received. */
  headersTimeoutMs: number
  /** No bytes either way while a body is on its way. */
  idleTimeoutMs: number
  /** An idle connection is closed after this long, before the upstream's own keep-alive timeout can race a request. */
  keepAliveTimeoutMs: number
  /** Limit for the upstream's response head. */
  maxHeaderBytes: number
}

function upstreamError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code })
}

/**
 * Keep-alive connections to the one upstream the sidecar fronts, for the raw
 * engine: what undici's Pool does for the node engine, narrowed to what a
 * reverse proxy needs (one origin, one request per connection at a time, no
 * retries since a proxied request may not be idempotent, no redirects, no
 * request parsing of its own). Requests beyond `maxConnections` wait in order.
 */
export class UpstreamPool {
  private readonly idle: UpstreamConnection[] = []
  /** Every open connection, for the sweep of their timeouts. */
  private readonly all = new Set<UpstreamConnection>()
  private readonly waiting: UpstreamRequest[] = []
  private open = 0
  private closed = false
  readonly hostHeader: string

  constructor(
    readonly options: UpstreamPoolOptions,
    /** The engine's coarse clock, for the connections' timeouts. */
    readonly clock: SweepClock,
  ) {
    this.hostHeader = options.origin.host
  }

  /** The connect, headers, idle and keep-alive timeouts of every connection (the engine's sweep). */
  sweep(nowMs: number): void {
    for (const connection of this.all) connection.sweep(nowMs)
  }

  /** Hands `request` a connection now, or when one frees up. */
  dispatch(request: UpstreamRequest): void {
    if (this.closed) {
      request.onUpstreamError(upstreamError('ERR_UPSTREAM_CLOSED', 'the proxy is shutting down'))
      return
    }
    let connection = this.idle.pop()
    // One closed since it went idle (its 'close' not yet delivered) never takes a request.
    while (connection !== undefined && connection.isDestroyed) connection = this.idle.pop()
    if (connection !== undefined) {
      connection.assign(request)
      return
    }
    if (this.open < this.options.maxConnections) {
      this.open++
      this.all.add(new UpstreamConnection(this, request))
      return
    }
    this.waiting.push(request)
  }

  /** A request no longer wants the connection it waits for (its client left). */
  withdraw(request: UpstreamRequest): void {
    const i = this.waiting.indexOf(request)
    if (i !== -1) this.waiting.splice(i, 1)
  }

  /** Called by a connection that finished a response and can carry another request. */
  release(connection: UpstreamConnection): void {
    const next = this.waiting.shift()
    if (next !== undefined) {
      connection.assign(next)
      return
    }
    if (this.closed) {
      connection.destroy()
      return
    }
    this.idle.push(connection)
    connection.idleSince()
  }

  /** Called by a connection once its socket is gone. */
  forget(connection: UpstreamConnection): void {
    this.open--
    this.all.delete(connection)
    const i = this.idle.indexOf(connection)
    if (i !== -1) this.idle.splice(i, 1)
    // A slot is free: a waiting request gets a new connection.
    const next = this.waiting.shift()
    if (next !== undefined) this.dispatch(next)
  }

  /** Closes idle connections now and the busy ones as they finish. */
  close(): void {
    this.closed = true
    for (const connection of this.idle.splice(0)) connection.destroy()
  }
}

/**
 * One socket to the upstream with its response parser. Busy with one request
 * at a time; back in the pool after a complete response on a connection both
 * sides keep alive.
 */
export class UpstreamConnection {
  /** Read by the worker-process join rule (which process holds its other end); only the connection writes to it. */
  readonly socket: net.Socket
  private readonly parser: Llhttp
  private request: UpstreamRequest | undefined
  private connected = false
  /** The request's last byte was written: a response may be reused after it. */
  private requestDone = false
  private responseStarted = false
  private keepAlive = false
  private headerPairs: string[] = []
  private destroyed = false
  private awaitingFirstByte = true
  private readonly quiet: QuietWatch

  constructor(
    private readonly pool: UpstreamPool,
    request: UpstreamRequest,
  ) {
    const { origin, connectTimeoutMs, maxHeaderBytes } = pool.options
    const port = Number(origin.port) || (origin.protocol === 'https:' ? 443 : 80)
    const host = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname
    this.request = request
    // Node's documented `onread`: reads go into the buffer every socket of the engine shares.
    const onread = { buffer: READ_BUFFER, callback: this.onRead }
    // tls.connect takes `onread` as net.connect does (Node's documentation); @types/node leaves it out of its options.
    const tlsOptions: tls.ConnectionOptions & { onread: typeof onread } = { host, port, servername: net.isIP(host) === 0 ? host : undefined, onread }
    this.socket = origin.protocol === 'https:' ? tls.connect(tlsOptions) : net.connect({ host, port, onread })
    this.socket.setNoDelay(true)
    this.quiet = new QuietWatch(pool.clock)
    this.quiet.arm(connectTimeoutMs)
    this.socket.once(origin.protocol === 'https:' ? 'secureConnect' : 'connect', this.onConnect)
    this.socket.on('end', this.onEnd)
    this.socket.on('error', this.onError)
    this.socket.on('close', this.onClose)
    this.parser = createParser('response', maxHeaderBytes, {
      onHeaders: (headers) => {
        for (let i = 0; i < headers.length; i++) this.headerPairs.push(headers[i]!)
      },
      onHeadersComplete: (_maj, _min, headers, _method, _url, statusCode, statusText, _upgrade, shouldKeepAlive) => {
        const raw = headers ?? this.takeHeaderPairs()
        const request = this.request
        if (request === undefined) return SKIP_BODY
        const status = statusCode ?? 0
        if (status < 200) {
          // Informational: the final response follows on the same parser.
          request.onInformational(status, raw)
          return SKIP_BODY
        }
        this.responseStarted = true
        this.keepAlive = shouldKeepAlive
        this.quiet.arm(this.pool.options.idleTimeoutMs)
        return request.onResponseHead(status, statusText ?? '', raw) ? SKIP_BODY : 0
      },
      onBody: (chunk) => this.request?.onResponseBody(chunk),
      onMessageComplete: () => {
        if (!this.responseStarted) return
        this.finishResponse()
      },
    })
  }

  /** Starts (or, from the pool, resumes) carrying `request`. */
  assign(request: UpstreamRequest): void {
    this.request = request
    this.requestDone = false
    this.responseStarted = false
    this.awaitingFirstByte = true
    this.quiet.arm(this.pool.options.idleTimeoutMs)
    request.onConnection(this)
  }

  idleSince(): void {
    this.quiet.arm(this.pool.options.keepAliveTimeoutMs)
  }

  sweep(nowMs: number): void {
    if (this.quiet.expired(this.socket, nowMs)) this.onQuiet()
  }

  /** Writes request bytes (latin1 for heads: every byte as it came); false when the socket wants a pause. */
  write(data: string | Buffer): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data)
  }

  cork(): void {
    this.socket.cork()
  }

  uncork(): void {
    this.socket.uncork()
  }

  /** A chunk of a chunked request body, in one write. */
  writeChunk(chunk: Buffer): boolean {
    return writeChunk(this.socket, chunk)
  }

  /** The request is fully written; from now the upstream has `headersTimeoutMs` to answer. */
  requestSent(): void {
    this.requestDone = true
    if (!this.responseStarted) this.quiet.arm(this.pool.options.headersTimeoutMs)
  }

  /** Calls `resume` once the socket has room again. */
  onceDrained(resume: () => void): void {
    this.socket.once('drain', resume)
  }

  pauseResponse(): void {
    this.socket.pause()
  }

  resumeResponse(): void {
    this.socket.resume()
  }

  /** The request left before using the connection: it goes back to the pool untouched. */
  giveBack(): void {
    this.request = undefined
    this.pool.release(this)
  }

  /** The client went away or the request failed: the connection cannot be trusted for another request. */
  abort(): void {
    this.request = undefined
    this.destroy()
  }

  get isDestroyed(): boolean {
    return this.destroyed
  }

  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.socket.destroy()
  }

  private finishResponse(): void {
    const request = this.request
    this.request = undefined
    request?.onResponseEnd(this.takeHeaderPairs())
    // An upstream that answered before reading the whole request (a 413, say)
    // may not have read the rest either: that connection is not reused.
    if (!this.keepAlive || !this.requestDone || this.destroyed) {
      this.destroy()
      return
    }
    // A slow client may have paused this socket in the read that ended the
    // response; that pause was for this response only. Left paused, the next
    // request's answer would never be read (a client gone for good never
    // drains to resume it) and that request would end in a headers timeout.
    this.socket.resume()
    this.pool.release(this)
  }

  private takeHeaderPairs(): string[] {
    const pairs = this.headerPairs
    if (pairs.length === 0) return pairs
    this.headerPairs = []
    return pairs
  }

  private readonly onConnect = (): void => {
    this.connected = true
    const request = this.request
    if (request === undefined) {
      this.pool.release(this)
      return
    }
    this.quiet.arm(this.pool.options.idleTimeoutMs)
    request.onConnection(this)
  }

  /** Always true: a pause comes from `pauseResponse`, not from here. */
  private readonly onRead = (bytes: number, into: Uint8Array): boolean => {
    if (this.awaitingFirstByte && this.request !== undefined) {
      this.awaitingFirstByte = false
      this.request.onResponseStarted()
    }
    const request = this.request
    const result = this.parser.execute((into as Buffer).subarray(0, bytes))
    request?.onReadDone()
    if (isParseError(result)) {
      this.fail(upstreamError(result.code, `the upstream's response could not be parsed: ${result.reason ?? result.message}`))
    }
    return true
  }

  private readonly onEnd = (): void => {
    // A response without a length ends with the connection.
    const result = this.parser.finish()
    if (isParseError(result)) this.fail(upstreamError('ERR_UPSTREAM_CLOSED', 'the upstream closed the connection mid-response'))
    this.destroy()
  }

  /** Quiet past the limit of its state: idle in the pool, connecting, awaiting the head, or mid-body. */
  private onQuiet(): void {
    if (this.request === undefined) {
      // Idle in the pool past the keep-alive timeout.
      this.destroy()
      return
    }
    const { connectTimeoutMs, headersTimeoutMs, idleTimeoutMs } = this.pool.options
    if (!this.connected) this.fail(upstreamError('ERR_UPSTREAM_CONNECT_TIMEOUT', `no connection to the upstream within ${connectTimeoutMs} ms`))
    else if (this.requestDone && !this.responseStarted)
      this.fail(upstreamError('ERR_UPSTREAM_HEADERS_TIMEOUT', `no response headers within ${headersTimeoutMs} ms`))
    else this.fail(upstreamError('ERR_UPSTREAM_BODY_TIMEOUT', `no bytes for ${idleTimeoutMs} ms`))
  }

  private readonly onError = (err: Error & { code?: string }): void => {
    this.fail(err)
  }

  private readonly onClose = (): void => {
    this.destroyed = true
    if (this.request !== undefined) {
      this.fail(
        upstreamError(
          'ERR_UPSTREAM_CLOSED',
          this.responseStarted ? 'the upstream closed the connection mid-response' : 'the upstream closed the connection before answering',
        ),
      )
    }
    this.parser.close()
    this.pool.forget(this)
  }

  private fail(err: Error & { code?: string }): void {
    const request = this.request
    this.request = undefined
    this.destroy()
    request?.onUpstreamError(err)
  }
}
