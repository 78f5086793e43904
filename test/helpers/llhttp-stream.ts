import { createRequire } from 'node:module'

/**
 * Node's own HTTP/1.1 parser (llhttp, what node:http runs), strict, fed the
 * bytes one side of a connection sent, in as many pieces as they arrived: the
 * messages a Node service (or client) would read from them. Tests use it to
 * read what a proxy put on the wire with the parser real services use,
 * independent of the helpers' own quick parsing.
 *
 * Reached through `_http_common`, as src/proxy/http1/llhttp.ts does; this
 * copy is the test's own so that the engine under test is not its own judge.
 */

interface ParserInstance {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void
  execute(data: Buffer): number | (Error & { code: string; bytesParsed: number; reason?: string })
  finish(): (Error & { code: string }) | undefined | number
  close(): void
  [slot: number]: unknown
}

interface ParserClass {
  new (): ParserInstance
  REQUEST: number
  RESPONSE: number
  kOnMessageBegin: number
  kOnHeaders: number
  kOnHeadersComplete: number
  kOnBody: number
  kOnMessageComplete: number
  kLenientNone: number
}

const common = createRequire(import.meta.url)('_http_common') as { HTTPParser: ParserClass; methods: string[] }

export interface ParsedMessage {
  /** Requests: the method; responses: ''. */
  method: string
  /** Requests: the target as sent. */
  target: string
  /** Responses: the status code. */
  status: number
  /** Field lines in order, names as sent. */
  headers: Array<[string, string]>
  body: Buffer
  /** The whole message has arrived (its head at least, otherwise it is not listed). */
  complete: boolean
}

export interface LlhttpStream {
  /** Messages whose head has arrived, in order; the last may still be incomplete. */
  readonly messages: ParsedMessage[]
  /** Set once the parser has refused the bytes: the code and what llhttp said. */
  readonly error: string | undefined
  /** Feeds the next bytes of the connection. */
  push(bytes: Buffer): void
  /** The connection ended: a close-delimited body is complete now, a cut message is an error. */
  end(): void
}

/**
 * `skipBody(n)`: for responses, whether the n-th final response (0-based)
 * answers a HEAD request and so has no body whatever its headers say.
 */
export function createLlhttpStream(
  type: 'request' | 'response',
  options: { maxHeaderBytes?: number; skipBody?: (finalIndex: number) => boolean } = {},
): LlhttpStream {
  const { HTTPParser } = common
  const parser = new HTTPParser()
  parser.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, options.maxHeaderBytes ?? 1 << 20, HTTPParser.kLenientNone)
  const messages: ParsedMessage[] = []
  let pendingHeaders: string[] = []
  let pendingUrl = ''
  let finals = 0
  let error: string | undefined
  let current: (ParsedMessage & { chunks: Buffer[] }) | undefined

  parser[HTTPParser.kOnMessageBegin] = () => {}
  parser[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
    pendingHeaders.push(...headers)
    pendingUrl += url
  }
  parser[HTTPParser.kOnHeadersComplete] = (
    _major: number,
    _minor: number,
    headers: string[] | undefined,
    method: number | undefined,
    url: string | undefined,
    statusCode: number | undefined,
  ): number => {
    const raw = headers ?? pendingHeaders
    pendingHeaders = []
    const target = url ?? pendingUrl
    pendingUrl = ''
    const pairs: Array<[string, string]> = []
    for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!])
    current = {
      method: type === 'request' ? (common.methods[method ?? -1] ?? '') : '',
      target: type === 'request' ? target : '',
      status: statusCode ?? 0,
      headers: pairs,
      body: Buffer.alloc(0),
      complete: false,
      chunks: [],
    }
    messages.push(current)
    if (type === 'response' && (statusCode ?? 0) >= 200) {
      const skip = options.skipBody?.(finals) ?? false
      finals++
      if (skip) return 1
    }
    return 0
  }
  parser[HTTPParser.kOnBody] = (chunk: Buffer) => {
    current?.chunks.push(Buffer.from(chunk))
  }
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (current === undefined) return
    current.body = Buffer.concat(current.chunks)
    current.complete = true
  }

  const fail = (err: Error & { code?: string; reason?: string }) => {
    error = `${err.code ?? 'error'}: ${err.reason ?? err.message}`
    parser.close()
  }

  return {
    messages,
    get error() {
      return error
    },
    push(bytes) {
      if (error !== undefined || bytes.length === 0) return
      const result = parser.execute(bytes)
      if (result instanceof Error) fail(result)
      else if (current !== undefined && !current.complete) current.body = Buffer.concat(current.chunks)
    },
    end() {
      if (error !== undefined) return
      const result = parser.finish()
      if (result instanceof Error) fail(result)
      else if (current !== undefined && !current.complete) current.body = Buffer.concat(current.chunks)
    },
  }
}
