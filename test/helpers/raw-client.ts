import net from 'node:net'
import { parseChunked } from './raw-upstream.js'

/**
 * A client made of one bare socket: it writes exactly the bytes a test gives it
 * (malformed ones included) and reads the answers off the wire itself, so a
 * test sees the framing the proxy chose, 1xx responses, and where the
 * connection closed.
 */
export interface RawClient {
  readonly socket: net.Socket
  write(bytes: string | Buffer): void
  /** Writes one byte at a time, each in its own packet-sized write after a short pause. */
  writeByteByByte(bytes: string | Buffer, gapMs?: number): Promise<void>
  /**
   * The next final responses, one per entry of `methods` (the method of the
   * request each one answers: a HEAD response has no body). 1xx responses are
   * gathered into the `interim` of the final response they precede. Resolves
   * early, with what was complete or cut, if the proxy closes the connection.
   */
  responses(methods?: string[]): Promise<ClientResponse[]>
  /** Resolves once `done` holds for the bytes received so far, or the connection closed. */
  until(done: (received: Buffer) => boolean): Promise<void>
  /** Every byte received so far. */
  received(): Buffer
  /** Resolves once the proxy has closed the connection (end or reset). */
  readonly closed: Promise<void>
  /** As `closed`, but fails (with what was received) if the proxy keeps the connection open. */
  untilClosed(): Promise<void>
  isClosed(): boolean
  destroy(): void
}

export interface ClientResponse {
  statusLine: string
  status: number
  headers: Array<[string, string]>
  /** All values of a header (case-insensitive). */
  header(name: string): string[]
  /** The body data (of a cut chunked body, the chunks that arrived whole). */
  body: Buffer
  trailers: Array<[string, string]>
  framing: 'content-length' | 'chunked' | 'close' | 'none'
  /** False when the connection ended before the framing said the body was whole. */
  complete: boolean
  /** 1xx responses received before this one. */
  interim: ClientResponse[]
}

/** A guard against a hang, not a limit on how fast anything must be. */
const HANG_GUARD_MS = 15_000

export async function connectRawClient(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  let bytes = Buffer.alloc(0)
  /** Where the next unread response starts. */
  let consumed = 0
  let closed = false
  const waiters = new Set<() => void>()
  const notify = () => waiters.forEach((w) => w())
  socket.on('data', (chunk: Buffer) => {
    bytes = Buffer.concat([bytes, chunk])
    notify()
  })
  // A reset is one way for the proxy to close; tests look at what arrived before it.
  socket.on('error', () => {})
  const closedPromise = new Promise<void>((resolve) => {
    const onClosed = () => {
      closed = true
      notify()
      resolve()
    }
    socket.on('end', onClosed)
    socket.on('close', onClosed)
  })

  const until = (done: (received: Buffer) => boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done(bytes) && !closed) return
        clearTimeout(guard)
        waiters.delete(check)
        resolve()
      }
      const guard = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no answer in ${HANG_GUARD_MS} ms; received so far: ${JSON.stringify(bytes.toString('latin1'))}`))
      }, HANG_GUARD_MS)
      waiters.add(check)
      check()
    })

  return {
    socket,
    write: (data) => {
      if (!socket.destroyed) socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data)
    },
    writeByteByByte: async (data, gapMs = 2) => {
      const all = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
      for (let i = 0; i < all.length && !socket.destroyed; i++) {
        socket.write(all.subarray(i, i + 1))
        await new Promise((r) => setTimeout(r, gapMs))
      }
    },
    responses: async (methods = ['GET']) => {
      let parsed: { responses: ClientResponse[]; end: number } = { responses: [], end: consumed }
      await until((received) => {
        parsed = parseResponses(received, consumed, methods, closed)
        return parsed.responses.length === methods.length && parsed.responses.every((r) => r.complete)
      })
      parsed = parseResponses(bytes, consumed, methods, closed)
      consumed = parsed.end
      return parsed.responses
    },
    until,
    received: () => bytes,
    closed: closedPromise,
    untilClosed: () => until(() => false),
    isClosed: () => closed,
    destroy: () => socket.destroy(),
  }
}

/** Sends `bytes` on a new connection and returns everything received until the proxy closes it. */
export async function sendAndReadUntilClose(port: number, bytes: string | Buffer): Promise<Buffer> {
  const client = await connectRawClient(port)
  client.write(bytes)
  await client.until(() => false)
  return client.received()
}

/**
 * Final responses from `from` on, one per method. Stops at the first one that
 * is not whole yet; when `closed`, that one is returned cut (complete false).
 */
function parseResponses(bytes: Buffer, from: number, methods: string[], closed: boolean): { responses: ClientResponse[]; end: number } {
  const responses: ClientResponse[] = []
  let at = from
  let interim: ClientResponse[] = []
  while (responses.length < methods.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at)
    if (headEnd === -1) break
    const lines = bytes.subarray(at, headEnd).toString('latin1').split('\r\n')
    const statusLine = lines[0]!
    const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1] ?? NaN)
    if (Number.isNaN(status)) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`)
    const headers = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon), line.slice(colon + 1).trim()]
    })
    const header = (name: string) => headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v)
    const bodyStart = headEnd + 4
    const response: ClientResponse = {
      statusLine,
      status,
      headers,
      header,
      body: Buffer.alloc(0),
      trailers: [],
      framing: 'none',
      complete: true,
      interim: [],
    }
    const method = methods[responses.length]!
    if (status < 200) {
      interim.push(response)
      at = bodyStart
      continue
    }
    if (method === 'HEAD' || status === 204 || status === 304) {
      at = bodyStart
    } else if (header('transfer-encoding').length > 0) {
      response.framing = 'chunked'
      const chunked = tryParseChunked(bytes, bodyStart)
      if (chunked === undefined) {
        if (!closed) break
        response.complete = false
        response.body = wholeChunks(bytes, bodyStart)
        at = bytes.length
      } else {
        response.body = chunked.body
        response.trailers = chunked.trailers
        at = chunked.end
      }
    } else if (header('content-length').length > 0) {
      response.framing = 'content-length'
      const length = Number(header('content-length')[0])
      if (bytes.length < bodyStart + length) {
        if (!closed) break
        response.complete = false
        response.body = bytes.subarray(bodyStart)
        at = bytes.length
      } else {
        response.body = bytes.subarray(bodyStart, bodyStart + length)
        at = bodyStart + length
      }
    } else {
      response.framing = 'close'
      if (!closed) break
      response.body = bytes.subarray(bodyStart)
      at = bytes.length
    }
    response.interim = interim
    interim = []
    responses.push(response)
  }
  return { responses, end: at }
}

/** The data of the whole chunks of a chunked body that was cut. */
function wholeChunks(bytes: Buffer, from: number): Buffer {
  const parts: Buffer[] = []
  let at = from
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at)
    if (lineEnd === -1) break
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16)
    if (!(size > 0) || bytes.length < lineEnd + 2 + size + 2) break
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(parts)
}

function tryParseChunked(bytes: Buffer, from: number): ReturnType<typeof parseChunked> {
  try {
    return parseChunked(bytes, from)
  } catch {
    // Not chunked framing after all (a cut or garbled body): not whole.
    return undefined
  }
}
