import type { Socket } from 'node:net'

/**
 * Up to this many bytes, what one upstream read gives the client is copied
 * into one Buffer and written plainly; more is corked and leaves as a writev
 * (a large body is not copied once more).
 */
const JOIN_BYTES = 8 * 1024

/**
 * What one read of the upstream gives the client (the response head, body
 * pieces, chunk framing, the last chunk and trailers), held until the read is
 * parsed and then written at once. A small response (head and body in one
 * read) then leaves in one plain write of one Buffer, not a corked head string
 * and body Buffer that Node's stream layer queues and hands to the socket as a
 * writev.
 */
export class ReadWrites {
  private readonly pieces: Array<string | Buffer> = []
  private bytes = 0

  /** A head or framing (latin1: every byte as it came), or body bytes. */
  add(piece: string | Buffer): void {
    this.pieces.push(piece)
    this.bytes += piece.length
  }

  /** Writes what the read held, in order; false when the socket wants a pause. */
  flush(socket: Socket): boolean {
    const pieces = this.pieces
    const count = pieces.length
    if (count === 0) return true
    let flowing = true
    if (socket.destroyed) {
      // Gone: nothing more reaches the client, and a write would only make an error.
    } else if (count === 1) {
      flowing = writePiece(socket, pieces[0]!)
    } else if (this.bytes <= JOIN_BYTES) {
      const joined = Buffer.allocUnsafe(this.bytes)
      let at = 0
      for (let i = 0; i < count; i++) {
        const piece = pieces[i]!
        at += typeof piece === 'string' ? joined.write(piece, at, 'latin1') : piece.copy(joined, at)
      }
      flowing = socket.write(joined)
    } else {
      socket.cork()
      for (let i = 0; i < count; i++) flowing = writePiece(socket, pieces[i]!)
      socket.uncork()
    }
    pieces.length = 0
    this.bytes = 0
    return flowing
  }
}

function writePiece(socket: Socket, piece: string | Buffer): boolean {
  return typeof piece === 'string' ? socket.write(piece, 'latin1') : socket.write(piece)
}
