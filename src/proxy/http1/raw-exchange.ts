import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { ProxyConfig } from '../../config/proxy-config.js'
import { nowUnixMs } from '../../span/clock.js'
import { describeTransferEncoding } from '../client-errors.js'
import type { ClientFailure } from '../client-errors.js'
import type { Exchange } from '../exchange.js'
import { hasRepeatedHost } from '../request-headers.js'
import { copyResponseHeaders } from '../response-headers.js'
import { classifyUpstreamError } from '../upstream-errors.js'
import type { ClientConnection } from './client-connection.js'
import type { SweepClock } from './quiet-watch.js'
import type { RequestHead } from './request-head.js'
import type { UpstreamConnection, UpstreamPool, UpstreamRequest } from './upstream-pool.js'

/** What an exchange of the raw engine needs from the proxy that owns it. */
export interface RawEngineHost {
  readonly config: ProxyConfig
  readonly pool: UpstreamPool
  /** Idle time allowed between two requests on a client connection. */
  readonly keepAliveTimeoutMs: number
  /** Response headers the proxy sets itself (lower-case), dropped from the upstream's. */
  readonly replacedResponseHeaders: ReadonlySet<string>
  /** The sweep's coarse clock, for timeouts. */
  readonly clock: SweepClock
  isDraining(): boolean
  /** True once the drain deadline passed: what is still open ends as `shutdown`. */
  drainDeadlinePassed(): boolean
  /** What the client sent and the trace context, on a new exchange (shared with the node engine). */
  beginExchange(head: RequestHead): Exchange
  /** The upstream request's headers: the client's minus hop-by-hop, plus the proxy's (shared with the node engine). */
  upstreamRequestHeaders(head: RequestHead, exchange: Exchange): string[]
  addResponseHeaders(exchange: Exchange, out: string[]): void
  /** The exchange is in flight / no longer (outbound joining). */
  track(exchange: Exchange, head: RequestHead): void
  untrack(exchange: Exchange, head: RequestHead): void
  /** The exchange's request goes to the service over `socket` (the worker-process join rule). */
  upstreamConnected(exchange: Exchange, socket: Socket): void
  /**
   * The client left while the service works on the whole request: true when
   * the exchange stays in flight (an inference join rule is on) until `untrack`.
   */
  abandon(exchange: Exchange): boolean
  /** Ends the exchange: its span, access-log line and metrics. */
  finish(exchange: Exchange): void
  /** A new exchange for bytes the parser rejected before they were a request. */
  rejectedExchange(socket: Socket, failure: ClientFailure): Exchange
  /** Gives the connection, with the bytes not yet parsed, to the node engine (upgrades). */
  handOver(socket: Socket, unparsed: Buffer): void
  connectionClosed(connection: ClientConnection): void
}

/** Methods whose requests carry a body by definition: without one they say `content-length: 0` (as undici does). */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH'])

let dateSecond = -1
let dateText = ''
/** The `Date` header value, formatted once a second. */
function httpDate(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateText = new Date(now).toUTCString()
  }
  return dateText
}

/**
 * One request through the raw engine: from the parsed head to the last
 * response byte, with the same stamps on its `Exchange` as the node engine's
 * relay (connected, request sent, first byte, response headers, end) and the
 * same answers when something fails (`upstream-errors.ts`).
 *
 * Framing: the request goes upstream with the client's Content-Length, or
 * re-chunked when it came chunked (request trailers are not forwarded, as
 * with the node engine). The response keeps the upstream's Content-Length;
 * without one it is chunked to an HTTP/1.1 client (trailers relayed) and
 * delimited by closing the connection to an HTTP/1.0 client.
 */
export class RawExchange implements UpstreamRequest {
  readonly exchange: Exchange
  requestComplete = false
  bufferedRequestBytes = 0
  private upstream: UpstreamConnection | undefined
  private requestHead = ''
  private chunkedRequest = false
  private earlyBody: Buffer[] | undefined
  private responseHeadSent = false
  private chunkedResponse = false
  private keepAlive = false
  private waitingForClient = false
  private waitingForUpstream = false
  private ended = false
  /** Close the client connection after this exchange whatever its headers say. */
  private closeAfter = false
  /** The client left; the service's response is read to its end and dropped, the request kept in flight till then. */
  private abandoned = false

  constructor(
    private readonly connection: ClientConnection,
    private readonly head: RequestHead,
  ) {
    this.exchange = connection.host.beginExchange(head)
  }

  start(): void {
    const { head, exchange } = this
    const { host } = this.connection
    host.track(exchange, head)
    const headers = head.headers
    if (head.httpVersionMajor === 1 && head.httpVersionMinor === 1 && headers.host === undefined) {
      exchange.fail('missing_host', 'HTTP/1.1 request without a Host header')
      this.answerError(400)
      return
    }
    if (hasRepeatedHost(head.rawHeaders)) {
      exchange.fail('malformed_request', 'more than one Host header (RFC 9110 §7.2)')
      this.closeAfter = true
      this.answerError(400)
      return
    }
    const expect = headers.expect
    if (expect !== undefined) {
      if (expect.toLowerCase() !== '100-continue') {
        exchange.fail('expectation_failed', `unsupported Expect: ${expect}`)
        this.answerError(417)
        return
      }
      // Answered by the proxy, as the node engine (and Envoy) do: the client may send the body now.
      if (head.httpVersionMinor === 1) this.connection.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1')
    }
    const contentLength = headers['content-length']
    if (contentLength !== undefined && !(Number(contentLength) <= Number.MAX_SAFE_INTEGER)) {
      // llhttp takes lengths up to 2^64; past 2^53 no JS number (nor undici) keeps them exact.
      exchange.fail('malformed_request', `Content-Length ${contentLength} is larger than this proxy can count exactly`)
      this.answerError(400)
      return
    }
    const transferEncoding = headers['transfer-encoding']
    if (transferEncoding !== undefined) {
      // Checked before anything goes upstream: llhttp refuses these too, but
      // only once it reads on past the head, after the request was dispatched.
      const failure = describeTransferEncoding(transferEncoding)
      if (failure !== undefined) {
        exchange.fail(failure.errorType, failure.message)
        this.closeAfter = true
        this.answerError(failure.status)
        return
      }
    }
    this.chunkedRequest = transferEncoding !== undefined && contentLength === undefined
    // A transfer coding on an HTTP/1.0 request leaves its framing in doubt for what follows: close after it (RFC 9112 §6.1).
    if (transferEncoding !== undefined && head.httpVersionMinor === 0) this.closeAfter = true
    const upstreamHeaders = host.upstreamRequestHeaders(head, exchange)
    let text = `${head.method} ${head.url} HTTP/1.1\r\n`
    for (let i = 0; i < upstreamHeaders.length; i += 2) text += `${upstreamHeaders[i]}: ${upstreamHeaders[i + 1]}\r\n`
    if (!host.config.preserveHost || headers.host === undefined) text += `host: ${host.pool.hostHeader}\r\n`
    // llhttp only lets a request through whose last coding is chunked; codings before it (gzip...) are the service's to undo.
    if (this.chunkedRequest) text += `transfer-encoding: ${transferEncoding!.toLowerCase() === 'chunked' ? 'chunked' : transferEncoding}\r\n`
    else if (contentLength === undefined && EXPECTS_PAYLOAD.has(head.method)) text += 'content-length: 0\r\n'
    this.requestHead = `${text}connection: keep-alive\r\n\r\n`
    host.pool.dispatch(this)
  }

  // ---- the client side (called by the ClientConnection) ----

  requestBody(chunk: Buffer): void {
    this.exchange.requestBodyBytes += chunk.length
    const upstream = this.upstream
    if (upstream === undefined) {
      if (this.ended) return
      ;(this.earlyBody ??= []).push(chunk)
      this.bufferedRequestBytes += chunk.length
      return
    }
    const flowing = this.chunkedRequest ? upstream.writeChunk(chunk) : upstream.write(chunk)
    if (!flowing && !this.waitingForUpstream) {
      this.waitingForUpstream = true
      this.connection.pauseRequest()
      upstream.onceDrained(() => {
        this.waitingForUpstream = false
        this.connection.resumeRequest()
      })
    }
  }

  requestEnd(): void {
    if (this.requestComplete) return
    this.requestComplete = true
    if (this.upstream !== undefined) this.sendRequestEnd(this.upstream)
  }

  /**
   * The request's own framing turned out bad after its head (an unknown
   * transfer coding, a bad chunk): the upstream request is dropped and the
   * client answered with `status` if nothing was sent yet, else cut.
   */
  rejectRequest(status: number, errorType: string, message: string): void {
    if (this.ended) return
    this.exchange.fail(errorType, message)
    const upstream = this.upstream
    this.upstream = undefined
    if (upstream !== undefined) upstream.abort()
    else this.connection.host.pool.withdraw(this)
    this.closeAfter = true
    if (!this.responseHeadSent) this.answerError(status)
    else this.connection.socket.destroy()
  }

  /** Something on the client side ended the exchange (parse error in the body, idle, gone mid-request). */
  clientFailed(errorType: string, message: string): void {
    this.exchange.fail(errorType, message)
  }

  /** The client connection closed. */
  clientClosed(): void {
    if (this.ended) return
    const { host } = this.connection
    if (host.drainDeadlinePassed()) this.exchange.fail('shutdown', 'drain deadline passed before the response finished')
    else this.exchange.fail('client_disconnected', 'the client closed the connection before the response finished')
    const upstream = this.upstream
    if (upstream !== undefined && this.exchange.requestSentUnixMs !== 0 && !host.drainDeadlinePassed() && host.abandon(this.exchange)) {
      // The service has the whole request and is still working on it: its late
      // calls are this request's. The span ends now; the request leaves the
      // in-flight list when the service's response ends or its connection closes.
      this.abandoned = true
      this.ended = true
      host.finish(this.exchange)
      return
    }
    this.upstream = undefined
    if (upstream !== undefined) upstream.abort()
    else this.connection.host.pool.withdraw(this)
    this.end()
  }

  // ---- the upstream side (called by the pool's connection) ----

  onConnection(upstream: UpstreamConnection): void {
    if (this.ended) {
      upstream.giveBack()
      return
    }
    this.upstream = upstream
    this.connection.host.upstreamConnected(this.exchange, upstream.socket)
    this.exchange.upstreamConnectedUnixMs = nowUnixMs()
    // Head and the body bytes that came with it leave in one write (at the end of the client's read).
    upstream.cork()
    upstream.write(this.requestHead)
    const early = this.earlyBody
    if (early !== undefined) {
      this.earlyBody = undefined
      this.bufferedRequestBytes = 0
      for (const chunk of early) {
        if (this.chunkedRequest) upstream.writeChunk(chunk)
        else upstream.write(chunk)
      }
      this.connection.resumeRequest()
    }
    if (this.requestComplete) this.sendRequestEnd(upstream)
    this.connection.uncorkAfterRead(upstream)
  }

  onResponseStarted(): void {
    if (this.abandoned) return
    if (this.exchange.firstByteUnixMs === 0) this.exchange.firstByteUnixMs = nowUnixMs()
  }

  onInformational(statusCode: number, rawHeaders: string[]): void {
    // 1xx never goes to an HTTP/1.0 client (RFC 9110 §15.2); other codes than these two are dropped, as the node engine does.
    if (this.head.httpVersionMinor === 0 || this.responseHeadSent || this.abandoned) return
    if (statusCode === 103) {
      let links = ''
      for (let i = 0; i < rawHeaders.length; i += 2) {
        if (rawHeaders[i]!.toLowerCase() === 'link') links += `link: ${rawHeaders[i + 1]}\r\n`
      }
      if (links !== '') this.connection.socket.write(`HTTP/1.1 103 Early Hints\r\n${links}\r\n`, 'latin1')
    } else if (statusCode === 102) {
      this.connection.socket.write('HTTP/1.1 102 Processing\r\n\r\n', 'latin1')
    }
  }

  onResponseHead(statusCode: number, statusText: string, rawHeaders: string[]): boolean {
    const { exchange, head } = this
    if (this.abandoned) return head.method === 'HEAD'
    const { host } = this.connection
    exchange.responseHeadersUnixMs = nowUnixMs()
    exchange.statusCode = statusCode
    const headers: string[] = []
    copyResponseHeaders(rawHeaders, host.replacedResponseHeaders, headers)
    host.addResponseHeaders(exchange, headers)
    const noBody = head.method === 'HEAD' || statusCode === 204 || statusCode === 304
    let text = `HTTP/1.1 ${statusCode} ${statusText}\r\n`
    let hasLength = false
    let hasDate = false
    let codings = ''
    for (let i = 0; i < rawHeaders.length; i += 2) {
      // Transfer codings other than chunked (gzip...) stay with the body: the client undoes them, not the proxy.
      if (rawHeaders[i]!.length === 17 && rawHeaders[i]!.toLowerCase() === 'transfer-encoding') codings = otherCodings(rawHeaders[i + 1]!, codings)
    }
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!
      if (name.length === 14 && name.toLowerCase() === 'content-length') hasLength = true
      else if (name.length === 4 && name.toLowerCase() === 'date') hasDate = true
      text += `${name}: ${headers[i + 1]}\r\n`
    }
    let closeDelimited = false
    if (!noBody && !hasLength) {
      if (head.httpVersionMinor === 0) closeDelimited = true
      else {
        this.chunkedResponse = true
        text += codings === '' ? 'transfer-encoding: chunked\r\n' : `transfer-encoding: ${codings}, chunked\r\n`
      }
    }
    if (!hasDate) text += `date: ${httpDate()}\r\n`
    this.keepAlive = head.keepAlive && !closeDelimited && !this.closeAfter && !host.isDraining()
    text += this.keepAlive ? `connection: keep-alive\r\nkeep-alive: timeout=${Math.floor(host.keepAliveTimeoutMs / 1000)}\r\n\r\n` : 'connection: close\r\n\r\n'
    this.responseHeadSent = true
    // Held until this read of the upstream is done: head and body leave in one write.
    this.connection.responseWrites.add(text)
    return head.method === 'HEAD'
  }

  /** The pool finished handing over what one read of the upstream socket held: it goes to the client in one write. */
  onReadDone(): void {
    const socket = this.connection.socket
    const flowing = this.connection.responseWrites.flush(socket)
    // Once the response ended there is nothing of it left to pause.
    if (!flowing && !this.waitingForClient && this.upstream !== undefined) {
      this.waitingForClient = true
      const upstream = this.upstream
      upstream.pauseResponse()
      socket.once('drain', () => {
        this.waitingForClient = false
        // Once the response ended the connection may carry another exchange, whose pauses are its own.
        if (this.upstream === upstream) upstream.resumeResponse()
      })
    }
  }

  onResponseBody(chunk: Buffer): void {
    if (this.abandoned) return
    this.exchange.responseBodyBytes += chunk.length
    const writes = this.connection.responseWrites
    if (this.chunkedResponse) {
      writes.add(`${chunk.length.toString(16)}\r\n`)
      writes.add(chunk)
      writes.add('\r\n')
    } else writes.add(chunk)
  }

  onResponseEnd(rawTrailers: string[]): void {
    this.upstream = undefined
    if (this.abandoned) {
      this.connection.host.untrack(this.exchange, this.head)
      return
    }
    let tail = ''
    if (this.chunkedResponse) {
      tail = '0\r\n'
      for (let i = 0; i < rawTrailers.length; i += 2) tail += `${rawTrailers[i]}: ${rawTrailers[i + 1]}\r\n`
      tail += '\r\n'
    }
    this.respondDone(tail)
  }

  onUpstreamError(err: Error & { code?: string }): void {
    this.upstream = undefined
    if (this.abandoned) {
      this.connection.host.untrack(this.exchange, this.head)
      return
    }
    if (this.ended) return
    const failure = classifyUpstreamError(err)
    this.exchange.fail(failure.errorType, failure.message)
    if (!this.responseHeadSent) this.answerError(failure.status)
    // The status line is out: the only honest signal left is a truncated response.
    else this.connection.socket.destroy()
  }

  // ---- endings ----

  private sendRequestEnd(upstream: UpstreamConnection): void {
    if (this.chunkedRequest) upstream.write('0\r\n\r\n')
    this.exchange.requestSentUnixMs = nowUnixMs()
    upstream.requestSent()
  }

  /** The proxy's own answer (400, 417, 502, 504...): `tracecar: <error.type>: <message>`. */
  private answerError(status: number): void {
    const { exchange, head } = this
    const { host } = this.connection
    exchange.statusCode = status
    // UTF-8, as the node engine writes it; the head is latin1 (every byte of a header value as it came).
    const body = Buffer.from(`tracecar: ${exchange.errorType}: ${exchange.errorMessage}\n`)
    const headers: string[] = []
    host.addResponseHeaders(exchange, headers)
    let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n`
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`
    text += `date: ${httpDate()}\r\n`
    // A request whose body is still coming cannot leave the connection reusable.
    this.keepAlive = head.keepAlive && this.requestComplete && !this.closeAfter && !host.isDraining()
    text += this.keepAlive ? 'connection: keep-alive\r\n\r\n' : 'connection: close\r\n\r\n'
    this.responseHeadSent = true
    const socket = this.connection.socket
    if (!socket.destroyed) {
      socket.write(text, 'latin1')
      if (head.method !== 'HEAD') socket.write(body)
    }
    this.respondDone('')
  }

  /**
   * Writes the last bytes and ends the exchange: once handed to the socket,
   * as the node engine's response 'finish' (a write the kernel cannot take
   * at once is still queued in order before anything else on the connection).
   */
  private respondDone(last: string): void {
    // A response that ended before its request did leaves the client's body unread: close after it.
    if (!this.requestComplete) this.keepAlive = false
    if (last !== '') this.connection.responseWrites.add(last)
    this.onReadDone()
    this.end()
    this.connection.exchangeDone(this, this.keepAlive)
  }

  private end(): void {
    if (this.ended) return
    this.ended = true
    const { host } = this.connection
    host.untrack(this.exchange, this.head)
    host.finish(this.exchange)
  }
}

/** `value`'s transfer codings other than chunked, appended to `so`. */
function otherCodings(value: string, so: string): string {
  for (const part of value.split(',')) {
    const coding = part.trim()
    if (coding === '' || coding.toLowerCase() === 'chunked') continue
    so = so === '' ? coding : `${so}, ${coding}`
  }
  return so
}
