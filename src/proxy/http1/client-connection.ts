import type { Socket } from 'node:net'
import { describeClientError } from '../client-errors.js'
import type { ClientFailure } from '../client-errors.js'
import { rejectedRequestAnswer } from '../rejected-request.js'
import { createParser, isParseError, METHODS, PAUSE_AFTER_HEAD, STOP_AFTER_HEAD } from './llhttp.js'
import type { Llhttp } from './llhttp.js'
import { ReadWrites } from './read-writes.js'
import { QuietWatch } from './quiet-watch.js'
import { originForm, RequestHead } from './request-head.js'
import { RawExchange } from './raw-exchange.js'
import type { RawEngineHost } from './raw-exchange.js'
import { readIntoSharedBuffer, readIntoStream } from './shared-read-buffer.js'

/** How long a closing connection keeps reading (and dropping) what the client still sends. */
const LINGER_MS = 2_000

/** Buffered request body past which the client is paused while the upstream connection is made. */
const MAX_EARLY_BODY_BYTES = 256 * 1024

/**
 * One client connection of the raw engine: llhttp reads requests off the
 * socket, each becomes a `RawExchange`, answered in order. A request
 * pipelined behind one still running is held at the end of its head (the
 * parser is paused there and the socket stops reading) until the one before
 * it is answered, so at most one request per connection is in flight.
 */
export class ClientConnection {
  readonly parser: Llhttp
  private readonly quiet: QuietWatch
  /** The exchange being answered. */
  current: RawExchange | undefined
  /** The exchange whose request body llhttp is reading (body bytes and the end go to it, not to whatever is current). */
  private bodyOf: RawExchange | undefined
  /** Set when the first byte of a request head arrives, cleared when the head is complete (headers timeout). */
  headStartMs = 0
  /** A pipelined request's head, held until `current` is answered, and the bytes after it. */
  private held: { head: RequestHead; rest: Buffer } | undefined
  /** The head that stopped the parser for a hand-over to Node's server (upgrades). */
  private handingOver: RequestHead | undefined
  private pendingHead: RequestHead | undefined
  private headerPairs: string[] = []
  private url = ''
  private closed = false
  /** Set when the connection is closing: until then the client's bytes are read and dropped. */
  private lingerUntilMs = 0
  /** Inside `parser.execute`, and the upstream socket corked during it. */
  private reading = false
  private corkedUpstream: { uncork(): void } | undefined
  /** A head refused after llhttp accepted it (HTTP/0.9): answered once the parser stops. */
  private pendingError: ClientFailure | undefined
  /** What to do once the request under way is answered, when the bytes after it could not be parsed. */
  private afterCurrent: 'close' | ClientFailure | undefined
  /** Between requests: the keep-alive timeout is on the socket instead of the idle timeout. */
  private betweenRequests = false
  /** The response bytes one upstream read gives this client, written at the end of that read. */
  readonly responseWrites = new ReadWrites()

  constructor(
    readonly socket: Socket,
    readonly host: RawEngineHost,
  ) {
    this.parser = createParser('request', host.config.limits.maxHeaderBytes, {
      onMessageBegin: this.onMessageBegin,
      onHeaders: this.onHeaders,
      onHeadersComplete: this.onHeadersComplete,
      onBody: this.onBody,
      onMessageComplete: this.onMessageComplete,
    })
    socket.setNoDelay(true)
    this.quiet = new QuietWatch(host.clock)
    this.quiet.arm(host.config.timeouts.idleMs)
    if (!readIntoSharedBuffer(socket, this.onRead)) socket.on('data', this.onData)
    socket.on('error', this.onSocketError)
    socket.on('close', this.onClose)
    socket.on('end', this.onEnd)
  }

  /** True when nothing is under way: safe to close (drain). */
  get idle(): boolean {
    return this.current === undefined && this.held === undefined && this.headStartMs === 0
  }

  destroy(): void {
    this.socket.destroy()
  }

  /** Called by the exchange once its response is complete (or it failed and was answered). */
  exchangeDone(exchange: RawExchange, keepAlive: boolean): void {
    if (this.current !== exchange) return
    this.current = undefined
    const after = this.afterCurrent
    if (after !== undefined) {
      this.afterCurrent = undefined
      if (after === 'close') this.closeAfterWrites()
      else this.answerUnparsed(after.status, after.errorType, after.message)
      return
    }
    if (!keepAlive || this.host.isDraining()) {
      // Nothing after this exchange is read: bytes the parser still holds are not a request of ours.
      this.closeAfterWrites()
      return
    }
    const held = this.held
    if (held !== undefined) {
      this.held = undefined
      if (held.head.upgrade) {
        this.handingOver = held.head
        this.handOver(held.rest)
        return
      }
      this.parser.resume()
      if (held.head.httpVersionMajor === 0) {
        this.answerUnparsed(400, 'malformed_request', 'a request line without an HTTP version')
        return
      }
      this.startRequest(held.head)
      this.socket.resume()
      // Even with no bytes left: the parser still owes the held request its end (a request without a body).
      this.feed(held.rest, true)
      return
    }
    this.betweenRequests = true
    this.quiet.arm(this.host.keepAliveTimeoutMs)
    // Reading may have stopped for this exchange (its body held or the upstream
    // slow) with the whole request read; its failure brings no drain to resume it.
    if (this.socket.isPaused()) this.socket.resume()
  }

  /**
   * Ends the connection once what was written is out, and then destroys it:
   * a paused socket (a held or refused request) would never read the client's
   * own end, and the half-open socket would linger.
   */
  private closeAfterWrites(): void {
    if (this.lingerUntilMs !== 0) return
    this.closed = true
    this.headStartMs = 0
    this.held = undefined
    const { socket } = this
    socket.end()
    // A lingering close (RFC 9112 §9.6): a socket closed with bytes from the
    // client still unread makes the kernel send a reset, and a reset can make
    // the client drop the answer it has not read yet. So what still comes is
    // read and dropped until the client closes too, or the sweep ends the wait.
    this.lingerUntilMs = this.host.clock.nowMs + LINGER_MS
    socket.resume()
  }

  /** Called by the engine's sweep: the idle and keep-alive timeouts, the headers timeout, the end of a lingering close. */
  sweep(nowMs: number, headersTimeoutMs: number): void {
    if (this.lingerUntilMs !== 0) {
      if (nowMs >= this.lingerUntilMs) this.socket.destroy()
      return
    }
    if (this.closed) return
    // (A head pipelined behind a request under way waits for it; its time counts from when it is read.)
    if (this.headStartMs !== 0 && this.current === undefined && nowMs - this.headStartMs > headersTimeoutMs) this.headersTimedOut()
    else if (this.quiet.expired(this.socket, nowMs)) this.onQuiet()
  }

  /** Past the headers timeout with a head still incomplete: 408, as Node's server answers it. */
  private headersTimedOut(): void {
    this.headStartMs = 0
    this.answerUnparsed(408, 'request_timeout', 'the request headers did not arrive in time')
  }

  /** A read into the shared buffer (see shared-read-buffer.ts): the bytes are only valid until this returns. */
  private readonly onRead = (bytes: number, into: Uint8Array): boolean => {
    this.onData((into as Buffer).subarray(0, bytes))
    return true
  }

  private readonly onData = (data: Buffer): void => {
    // Closing: what the client still sends is read and dropped (the lingering close of closeAfterWrites).
    if (this.closed) return
    if (this.held !== undefined) {
      // Data already on its way when the socket was paused for a pipelined request.
      this.held.rest = Buffer.concat([this.held.rest, data])
      return
    }
    this.feed(data)
  }

  /**
   * Corks `upstream` until the read being parsed is done (so a request head
   * and the body bytes that came with it leave in one write); outside a read, at once.
   */
  uncorkAfterRead(upstream: { uncork(): void }): void {
    if (this.reading) this.corkedUpstream = upstream
    else upstream.uncork()
  }

  private feed(data: Buffer, resumed = false): void {
    if ((data.length === 0 && !resumed) || this.closed) return
    this.reading = true
    const result = this.parser.execute(data)
    this.reading = false
    const corked = this.corkedUpstream
    this.corkedUpstream = undefined
    if (isParseError(result) && result.code !== 'HPE_PAUSED') {
      // Before the upstream is uncorked: a request refused here (its framing
      // turned bad past the head) is dropped with its upstream connection, so
      // the bytes already queued for it never leave.
      if (!this.closed) this.onParseError(result)
      corked?.uncork()
      return
    }
    corked?.uncork()
    if (this.closed) return
    if (!isParseError(result)) {
      if (this.handingOver !== undefined) this.handOver(data.subarray(result))
      else if (this.pendingError !== undefined) this.answerUnparsed(this.pendingError.status, this.pendingError.errorType, this.pendingError.message)
      // An upgrade pipelined behind the request under way: llhttp stops
      // after an upgrade's head without reporting the pause, so it is held here too.
      else if (this.pendingHead !== undefined) this.hold(data, result)
      return
    }
    this.hold(data, result.bytesParsed)
  }

  /** Holds the pipelined head llhttp stopped after (ending at `at`) until the request under way is answered. */
  private hold(data: Buffer, at: number): void {
    const head = this.pendingHead!
    this.pendingHead = undefined
    // A copy: `data` may be the shared read buffer, which the next read overwrites.
    this.held = { head, rest: Buffer.from(data.subarray(at)) }
    this.socket.pause()
  }

  private handOver(rest: Buffer): void {
    const head = this.handingOver!
    this.handingOver = undefined
    this.closed = true
    const { socket } = this
    socket.removeListener('data', this.onData)
    readIntoStream(socket)
    socket.removeListener('error', this.onSocketError)
    socket.removeListener('close', this.onClose)
    socket.removeListener('end', this.onEnd)
    this.quiet.arm(0)
    this.parser.close()
    this.host.handOver(socket, Buffer.concat([head.serialize(), rest]))
    // An upgrade pipelined behind another request was held with the socket
    // paused, and a 'data' listener does not resume a stream paused on
    // purpose: Node's server would never see the head put back for it.
    socket.resume()
  }

  private readonly onMessageBegin = (): void => {
    // Pieces of a head (or trailers) llhttp handed over for an earlier message are not this one's.
    this.url = ''
    if (this.headerPairs.length > 0) this.headerPairs = []
    if (this.betweenRequests) {
      this.betweenRequests = false
      this.quiet.arm(this.host.config.timeouts.idleMs)
    }
    this.headStartMs = this.host.clock.nowMs
  }

  private readonly onHeaders = (headers: string[], url: string): void => {
    for (let i = 0; i < headers.length; i++) this.headerPairs.push(headers[i]!)
    this.url += url
  }

  private readonly onHeadersComplete = (
    versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    method: number | undefined,
    url: string | undefined,
    _statusCode: number | undefined,
    _statusMessage: string | undefined,
    upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    this.headStartMs = 0
    // The connection is closing: what follows is not read (parsing stops here).
    if (this.closed) return STOP_AFTER_HEAD
    let raw = headers
    if (raw === undefined) {
      raw = this.headerPairs
      this.headerPairs = []
    }
    let target = url ?? this.url
    this.url = ''
    if (target.charCodeAt(0) !== 0x2f && target !== '*') {
      const origin = originForm(target, raw)
      if (origin !== undefined) {
        target = origin.target
        raw = origin.rawHeaders
      }
    }
    const head = new RequestHead(METHODS[method ?? -1] ?? '', target, versionMajor, versionMinor, raw, this.socket, shouldKeepAlive, upgrade)
    if (this.current !== undefined) {
      // Pipelined behind a request still being answered: wait for it.
      this.pendingHead = head
      return PAUSE_AFTER_HEAD
    }
    if (versionMajor === 0) {
      // `GET /a` with no version: HTTP/0.9, which no service behind a sidecar speaks (RFC 9112 §3: 400).
      this.pendingError = { status: 400, errorType: 'malformed_request', message: 'a request line without an HTTP version' }
      return STOP_AFTER_HEAD
    }
    if (upgrade) {
      // WebSocket and other upgrades (and CONNECT) are relayed by the node engine.
      this.handingOver = head
      return STOP_AFTER_HEAD
    }
    this.startRequest(head)
    return 0
  }

  private startRequest(head: RequestHead): void {
    // Assigned before it starts: an answer given at once (400 for a missing Host) ends it inside start().
    const exchange = new RawExchange(this, head)
    this.current = exchange
    this.bodyOf = exchange
    exchange.start()
  }

  private readonly onBody = (chunk: Buffer): void => {
    const current = this.bodyOf
    if (current === undefined) return
    current.requestBody(chunk)
    if (current.bufferedRequestBytes > MAX_EARLY_BODY_BYTES) this.pauseRequest()
  }

  private readonly onMessageComplete = (): void => {
    const current = this.bodyOf
    // Request trailers are not forwarded (see the proxy README).
    if (this.headerPairs.length > 0) this.headerPairs = []
    if (current === undefined) return
    this.bodyOf = undefined
    current.requestEnd()
  }

  /** The upstream is slower than the client: stop reading until it drains. */
  pauseRequest(): void {
    this.socket.pause()
  }

  resumeRequest(): void {
    if (this.held === undefined) this.socket.resume()
  }

  private onParseError(err: Error & { code: string; reason?: string }): void {
    this.closed = true
    const current = this.current
    const failure = describeClientError(err)
    if (current !== undefined && current.requestComplete) {
      // The bytes after the request under way are bad (or come after its
      // `Connection: close`): that request is answered first, then the
      // connection is closed, with a 400 if those bytes tried to be a request.
      this.socket.pause()
      this.afterCurrent = err.code === 'HPE_CLOSED_CONNECTION' ? 'close' : failure
      return
    }
    if (current !== undefined) {
      // Bad framing inside the body of the request under way (a bad chunk, an
      // unknown transfer coding): it never reaches the service whole.
      current.rejectRequest(failure?.status ?? 400, failure?.errorType ?? 'malformed_request', failure?.message ?? err.message)
      return
    }
    if (failure === undefined) {
      this.socket.destroy()
      return
    }
    this.answerUnparsed(failure.status, failure.errorType, failure.message)
  }

  /**
   * A request the parser rejected before it became one: answered, recorded
   * as a span of a new trace (no context could be read), connection closed.
   */
  private answerUnparsed(status: number, errorType: string, message: string): void {
    this.closed = true
    this.headStartMs = 0
    const failure = { status, errorType, message }
    const exchange = this.host.rejectedExchange(this.socket, failure)
    if (this.socket.writable) {
      const own: string[] = []
      this.host.addResponseHeaders(exchange, own)
      this.socket.write(rejectedRequestAnswer(failure, own))
      this.closeAfterWrites()
    } else {
      this.socket.destroy()
    }
    this.host.finish(exchange)
  }

  /** No byte either way for the current limit (idle while a request is under way, or keep-alive between requests). */
  private onQuiet(): void {
    const current = this.current
    if (current === undefined) {
      // Idle between requests (keep-alive timeout) or a head that stalled: close quietly, as Node does.
      this.socket.destroy()
      return
    }
    // The request is complete and the response awaited: the upstream's timeouts decide.
    if (current.requestComplete) return
    current.clientFailed('client_idle_timeout', `no bytes from the client for ${this.host.config.timeouts.idleMs} ms`)
    this.socket.destroy()
  }

  private readonly onSocketError = (): void => {
    // 'close' follows and ends whatever was under way.
  }

  private readonly onEnd = (): void => {
    if (this.lingerUntilMs !== 0) {
      // The client closed its side too: the lingering close is over.
      this.socket.destroy()
      return
    }
    // A client that shuts its sending side has gone, as Node's server (without
    // httpAllowHalfOpen) takes it: the request under way ends client_disconnected.
    const current = this.current
    if (current !== undefined) {
      current.clientFailed('client_disconnected', 'the client closed the connection before the response finished')
      this.socket.destroy()
      return
    }
    this.closeAfterWrites()
  }

  private readonly onClose = (): void => {
    this.closed = true
    this.held = undefined
    this.parser.close()
    this.current?.clientClosed()
    this.current = undefined
    this.host.connectionClosed(this)
  }
}
