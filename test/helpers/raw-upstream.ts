import net from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * A service made of bare sockets: it keeps every byte each connection received,
 * exactly as it arrived, and answers only what its script writes. Tests use it
 * to see what the proxy really put on the wire towards the service (framing,
 * headers, body bytes) and to send back responses no well-behaved server
 * library would produce.
 */
export interface RawUpstreamConnection {
  readonly socket: net.Socket
  /** Every byte this connection has received so far. */
  received(): Buffer
  /**
   * The next whole request on this connection (head, then a body framed by
   * Content-Length or chunked), as raw bytes. Rejects if the connection ends
   * first. Requests are taken in order: each call resumes after the last one.
   */
  nextRequest(): Promise<UpstreamRequest>
  /** Writes raw bytes to the proxy. */
  write(bytes: string | Buffer): void
  /** Resolves once the connection has closed, either way. */
  readonly closed: Promise<void>
}

export interface UpstreamRequest {
  /** Exactly the bytes of this request as received, head and framed body. */
  raw: Buffer
  /** The head up to and including the blank line, as latin1 text. */
  head: string
  /** The request line, e.g. `POST /upload HTTP/1.1`. */
  requestLine: string
  /** Header fields in order, names as sent. */
  headers: Array<[string, string]>
  /** The body as the application would see it (chunked framing removed). */
  body: Buffer
  framing: 'content-length' | 'chunked' | 'none'
  /** Trailer fields of a chunked body. */
  trailers: Array<[string, string]>
  /** All values of a header (case-insensitive). */
  header(name: string): string[]
}

export type RawUpstreamScript = (connection: RawUpstreamConnection) => void | Promise<void>

export interface RawUpstream {
  /** http://127.0.0.1:<port> */
  url: string
  port: number
  connections: RawUpstreamConnection[]
  /** Every byte received, all connections in the order they were accepted. */
  receivedBytes(): Buffer
  /** Every whole request received so far, connection by connection (a cut one is left out). */
  requests(): UpstreamRequest[]
  close(): Promise<void>
}

/** Answers each request on a connection with `respond(request)`, until the connection ends. */
export function answerEachRequest(respond: (request: UpstreamRequest) => string | Buffer): RawUpstreamScript {
  return async (connection) => {
    for (;;) {
      let request: UpstreamRequest
      try {
        request = await connection.nextRequest()
      } catch {
        return
      }
      connection.write(respond(request))
    }
  }
}

/** A 200 whose body names the request's target and how many body bytes it carried. */
export function okResponse(request: UpstreamRequest): string {
  const body = `${request.requestLine.split(' ')[1]} got ${request.body.length} bytes`
  return `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n\r\n${body}`
}

/** A `net` server on 127.0.0.1 (any free port) that runs `script` for each connection it accepts. */
export async function startRawUpstream(script: RawUpstreamScript = answerEachRequest(okResponse)): Promise<RawUpstream> {
  const connections: RawUpstreamConnection[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    const connection = new Connection(socket)
    connections.push(connection)
    socket.on('close', () => sockets.delete(socket))
    void Promise.resolve()
      .then(() => script(connection))
      .catch(() => socket.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connections,
    receivedBytes: () => Buffer.concat(connections.map((c) => c.received())),
    requests: () => connections.flatMap((c) => wholeRequests(c.received())),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }),
  }
}

class Connection implements RawUpstreamConnection {
  private bytes = Buffer.alloc(0)
  /** Where the next request starts in `bytes`. */
  private consumed = 0
  private ended = false
  private wake: (() => void) | undefined
  readonly closed: Promise<void>

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk])
      this.notify()
    })
    socket.on('error', () => {})
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true
        this.notify()
        resolve()
      }),
    )
    socket.on('end', () => {
      this.ended = true
      this.notify()
    })
  }

  received(): Buffer {
    return this.bytes
  }

  write(bytes: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes)
  }

  async nextRequest(): Promise<UpstreamRequest> {
    for (;;) {
      const request = parseRequest(this.bytes, this.consumed)
      if (request !== undefined) {
        this.consumed += request.raw.length
        return request
      }
      if (this.ended) throw new Error('the connection ended before a whole request arrived')
      await new Promise<void>((resolve) => (this.wake = resolve))
    }
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

function wholeRequests(bytes: Buffer): UpstreamRequest[] {
  const requests: UpstreamRequest[] = []
  let at = 0
  for (;;) {
    let request: UpstreamRequest | undefined
    try {
      request = parseRequest(bytes, at)
    } catch {
      return requests
    }
    if (request === undefined || request.raw.length === 0) return requests
    requests.push(request)
    at += request.raw.length
  }
}

/** A whole request starting at `from`, or undefined while bytes are missing. */
function parseRequest(bytes: Buffer, from: number): UpstreamRequest | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n', from)
  if (headEnd === -1) return undefined
  const head = bytes.subarray(from, headEnd + 4).toString('latin1')
  const lines = head.slice(0, -4).split('\r\n')
  const headers = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon), line.slice(colon + 1).trim()]
  })
  const header = (name: string) => headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v)
  const bodyStart = headEnd + 4
  const te = header('transfer-encoding')
  const cl = header('content-length')
  let body: Buffer = Buffer.alloc(0)
  let trailers: Array<[string, string]> = []
  let end = bodyStart
  let framing: UpstreamRequest['framing'] = 'none'
  if (te.length > 0) {
    framing = 'chunked'
    const chunked = parseChunked(bytes, bodyStart)
    if (chunked === undefined) return undefined
    ;({ body, trailers, end } = chunked)
  } else if (cl.length > 0) {
    framing = 'content-length'
    const length = Number(cl[0])
    if (bytes.length < bodyStart + length) return undefined
    body = bytes.subarray(bodyStart, bodyStart + length)
    end = bodyStart + length
  }
  return {
    raw: bytes.subarray(from, end),
    head,
    requestLine: lines[0]!,
    headers,
    body,
    framing,
    trailers,
    header,
  }
}

/** A chunked body starting at `from`: its data, trailers and where it ends; undefined while incomplete. */
export function parseChunked(bytes: Buffer, from: number): { body: Buffer; trailers: Array<[string, string]>; end: number } | undefined {
  const parts: Buffer[] = []
  let at = from
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at)
    if (lineEnd === -1) return undefined
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1').split(';')[0]!.trim(), 16)
    if (Number.isNaN(size)) throw new Error(`not a chunk size: ${JSON.stringify(bytes.subarray(at, lineEnd).toString('latin1'))}`)
    at = lineEnd + 2
    if (size === 0) break
    if (bytes.length < at + size + 2) return undefined
    parts.push(bytes.subarray(at, at + size))
    at += size + 2
  }
  const trailers: Array<[string, string]> = []
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at)
    if (lineEnd === -1) return undefined
    const line = bytes.subarray(at, lineEnd).toString('latin1')
    at = lineEnd + 2
    if (line === '') break
    const colon = line.indexOf(':')
    trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()])
  }
  return { body: Buffer.concat(parts), trailers, end: at }
}
