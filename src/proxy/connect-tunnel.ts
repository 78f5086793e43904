import http from 'node:http'
import net from 'node:net'
import type { Socket } from 'node:net'
import { nowUnixMs } from '../span/clock.js'
import type { Exchange } from './exchange.js'
import { classifyUpstreamError } from './upstream-errors.js'

export interface TunnelSettings {
  /** Connecting to the destination; past it the client gets 504. */
  connectTimeoutMs: number
  /** No bytes either way for this long: both sockets are closed. */
  idleMs: number
}

interface Tunnel {
  exchange: Exchange
  client: Socket
  upstream: Socket | undefined
}

/**
 * `CONNECT host:port` through the outbound proxy (how clients send HTTPS via
 * HTTP_PROXY): a TCP connection to the destination, `200 Connection
 * Established`, then bytes relayed both ways untouched. The whole tunnel is one
 * CLIENT span with the host, the port, the duration and the bytes each way
 * (counted on the destination socket, so they are exactly the tunnel's payload).
 *
 * Inside the tunnel is TLS: no header can be read or added, so the trace
 * context cannot be carried on to the destination, and each request inside a
 * kept-alive tunnel is invisible — the span is the tunnel, not the requests.
 */
export class ConnectTunnels {
  private readonly open_ = new Set<Tunnel>()

  constructor(
    private readonly settings: TunnelSettings,
    private readonly finish: (exchange: Exchange) => void,
  ) {}

  get openCount(): number {
    return this.open_.size
  }

  open(client: Socket, head: Buffer, exchange: Exchange, host: string, port: number): void {
    exchange.upgraded = true
    const tunnel: Tunnel = { exchange, client, upstream: undefined }
    this.open_.add(tunnel)
    let established = false
    let closed = 0
    const onClose = (): void => {
      if (++closed < 2) return
      this.open_.delete(tunnel)
      const upstream = tunnel.upstream!
      exchange.requestBodyBytes = upstream.bytesWritten
      exchange.responseBodyBytes = upstream.bytesRead
      this.finish(exchange)
    }

    const upstream = net.connect({ host, port })
    tunnel.upstream = upstream
    upstream.setNoDelay(true)
    client.setNoDelay(true)
    upstream.setTimeout(this.settings.connectTimeoutMs, () => {
      exchange.fail('connect_timeout', `no connection to ${host}:${port} within ${this.settings.connectTimeoutMs} ms`)
      answerAndClose(client, exchange, 504)
      upstream.destroy()
    })
    upstream.once('connect', () => {
      established = true
      exchange.upstreamConnectedUnixMs = nowUnixMs()
      exchange.statusCode = 200
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      const idle = (): void => {
        exchange.fail('idle_timeout', `no bytes either way for ${this.settings.idleMs} ms`)
        client.destroy()
        upstream.destroy()
      }
      upstream.setTimeout(this.settings.idleMs, idle)
      client.setTimeout(this.settings.idleMs, idle)
      upstream.once('data', () => {
        exchange.firstByteUnixMs = nowUnixMs()
      })
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', (err: Error & { code?: string }) => {
      if (!established) {
        const failure = classifyUpstreamError(err)
        exchange.fail(failure.errorType, failure.message)
        answerAndClose(client, exchange, failure.status)
      } else {
        exchange.fail('upstream_reset', err.message)
        client.destroy()
      }
    })
    client.on('error', (err: Error & { code?: string }) => {
      exchange.fail('client_disconnected', err.message)
      upstream.destroy()
    })
    // Either side closing ends the other: a half-open tunnel serves no one.
    upstream.once('close', () => {
      // The destination is gone: send what it sent last, then close (a client
      // keeping its half open would otherwise hold the tunnel until idle).
      if (!client.destroyed && established) client.end(() => client.destroy())
      else if (!established && !client.writableEnded) client.destroy()
      onClose()
    })
    client.once('close', () => {
      if (!established) exchange.fail('client_disconnected', 'the client closed the connection before the tunnel was established')
      upstream.destroy()
      onClose()
    })
  }

  /** Shutdown deadline: every tunnel still open is cut. */
  closeAll(): void {
    for (const tunnel of this.open_) {
      tunnel.exchange.fail('shutdown', 'drain deadline passed with the tunnel still open')
      tunnel.client.destroy()
      tunnel.upstream?.destroy()
    }
  }
}

/** The proxy's own answer on a raw socket (the HTTP layer has let go of it). */
export function answerAndClose(socket: Socket, exchange: Exchange, status: number): void {
  exchange.statusCode = status
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = `tracecar: ${exchange.errorType}: ${exchange.errorMessage}\n`
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'content-type: text/plain; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  )
}
