import type { Socket } from 'node:net'

/**
 * One chunk of a chunked body (RFC 9112 §7.1): size line, data, CRLF, in one
 * write. Corking nests, so inside a write the caller has corked already the
 * chunk simply joins it. Returns false when the socket wants a pause.
 */
export function writeChunk(socket: Socket, chunk: Buffer): boolean {
  socket.cork()
  socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1')
  socket.write(chunk)
  const flowing = socket.write('\r\n', 'latin1')
  socket.uncork()
  return flowing
}
