import net from 'node:net'
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'

/**
 * Where every socket of the raw engine reads into, client and upstream
 * alike. A read is parsed before the next one is taken, on this thread, and
 * the parser copies what it hands on (the head's strings, each body piece
 * into a Buffer of its own), so one buffer serves every connection; whatever
 * must outlive the read it came in (the bytes after a pipelined head, a
 * connection handed to Node's server) is copied out of it. Through a
 * stream's 'data' events each read was a fresh 64 KiB allocation trimmed to
 * its size, a Buffer around it and a pass through the stream's buffering.
 */
export const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/** Called with the bytes of one read, a view of `READ_BUFFER` valid until it returns; false pauses the socket. */
export type SharedRead = (bytes: number, into: Uint8Array) => boolean

interface StreamReadSlots {
  buffer: symbol
  callback: symbol
}

/**
 * Node documents `onread` (read into a buffer of the caller's, no stream
 * buffering) for the sockets it connects, `net.connect` and `new
 * net.Socket`, and the upstream pool uses it as documented; a server's
 * accepted sockets take no options. The same mechanism is switched on for
 * them here: the handle is told to read into the buffer (`useUserBuffer`, as
 * Node does for `onread`) and the socket's two slots that Node's read
 * callback consults are filled as Node fills them. The slots are private
 * symbols, found by their descriptions on a fresh socket (each socket owns
 * them from its constructor). Not a documented API, like `_http_common`
 * (see llhttp.ts): where a Node version lacks any of it, the engine reads
 * through 'data' events as before (`readIntoSharedBuffer` returns false, and
 * its test fails on a Node that lacks it).
 */
const slots: StreamReadSlots | undefined = (() => {
  const probe = new net.Socket()
  const symbols = Object.getOwnPropertySymbols(probe)
  probe.destroy()
  const buffer = symbols.find((s) => s.description === 'kBuffer')
  const callback = symbols.find((s) => s.description === 'kBufferCb')
  return buffer !== undefined && callback !== undefined ? { buffer, callback } : undefined
})()

type SlottedSocket = Socket & { _handle?: { useUserBuffer?: (buffer: Uint8Array) => void } | null } & Record<symbol, unknown>

/**
 * Makes an accepted socket read into `READ_BUFFER`, each read going to
 * `onRead` instead of a 'data' event. False when this Node does not have the
 * slots or the socket no handle: the caller then listens to 'data'.
 */
export function readIntoSharedBuffer(socket: Socket, onRead: SharedRead): boolean {
  const slotted = socket as SlottedSocket
  const handle = slotted._handle
  if (slots === undefined || handle == null || typeof handle.useUserBuffer !== 'function') return false
  if (slotted[slots.buffer] !== null || slotted[slots.callback] !== null) return false
  handle.useUserBuffer(READ_BUFFER)
  slotted[slots.buffer] = READ_BUFFER
  slotted[slots.callback] = onRead
  return true
}

/**
 * Turns a socket reading into the shared buffer back into one that reads as
 * a plain stream: for a connection handed to code that reads it so (an
 * upgrade). Each read is copied into a Buffer of its own and pushed to the
 * stream, and a false push stops the reading until the stream wants more,
 * as Node's own read callback does. `pause()` goes back to the stream's own:
 * Node's stops the socket reading at once when it reads into a buffer of its
 * own, where a plain socket goes on reading into the stream's buffer (up to
 * its high-water mark) and so still sees the peer's end, which is what
 * closes a piped connection whose other side has finished.
 */
export function readIntoStream(socket: Socket): void {
  const slotted = socket as SlottedSocket
  if (slots === undefined || slotted[slots.buffer] !== READ_BUFFER) return
  slotted[slots.callback] = (bytes: number, into: Uint8Array): boolean => socket.push(Buffer.from(into.subarray(0, bytes)))
  socket.pause = function pause(this: Socket): Socket {
    Duplex.prototype.pause.call(this)
    return this
  }
}
