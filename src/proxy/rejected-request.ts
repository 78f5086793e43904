import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { nowUnixMs } from '../span/clock.js'
import type { ClientFailure } from './client-errors.js'
import { Exchange } from './exchange.js'
import type { TracePropagation } from './trace-propagation.js'

/**
 * Bytes the parser refused before they became a request (both engines): an
 * exchange of a new trace, since no context could be read from them, that
 * records who sent them and why they were refused.
 */
export function rejectedExchange(socket: Socket, propagation: TracePropagation, failure: ClientFailure): Exchange {
  const exchange = new Exchange(nowUnixMs())
  exchange.peerAddress = unmapIPv4(socket.remoteAddress ?? '')
  exchange.peerPort = socket.remotePort ?? 0
  exchange.clientAddress = exchange.peerAddress
  propagation.begin(exchange, {}, [])
  exchange.fail(failure.errorType, failure.message)
  exchange.statusCode = failure.status
  return exchange
}

/**
 * The answer to such bytes, written straight to the socket (there is no
 * response object): `tracecar: <error.type>: <message>`, the proxy's own
 * headers (`ownHeaders`: traceresponse, server-timing, the trace id) like any
 * other answer, and `connection: close`, since what follows cannot be framed.
 */
export function rejectedRequestAnswer(failure: ClientFailure, ownHeaders: readonly string[]): string {
  const body = `tracecar: ${failure.errorType}: ${failure.message}\n`
  let head =
    `HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ''}\r\n` +
    'content-type: text/plain; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n`
  for (let i = 0; i < ownHeaders.length; i += 2) head += `${ownHeaders[i]}: ${ownHeaders[i + 1]}\r\n`
  return `${head}connection: close\r\n\r\n${body}`
}

export function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address
}
