import { createRequire } from 'node:module'

/**
 * Node's own HTTP/1.1 parser (llhttp, the one node:http and its client use),
 * reached through `_http_common`. Using it rather than a parser of our own is
 * what keeps the raw engine exactly as strict as Node: the same request
 * smuggling defences (CL+TE, duplicate lengths, obs-fold, bad chunk sizes),
 * the same header-size limit and the same error codes (`HPE_*`).
 *
 * `_http_common` is not a documented API; what is used here (the parser
 * class, its callback slots and `methods`) has had the same shape from Node
 * 12 to 24. `checkParserShape` (run when the engine starts) fails loudly if a
 * future Node changes it, instead of mis-parsing traffic.
 */

export interface ParseError extends Error {
  code: string
  bytesParsed: number
  reason?: string
}

export interface Llhttp {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void
  /** Bytes parsed, or the error that stopped the parser (`HPE_PAUSED` when a callback paused it). */
  execute(data: Buffer): number | ParseError
  /** End of input: an error when a message is cut short. */
  finish(): ParseError | undefined | number
  resume(): void
  close(): void
  remove(): void
  [slot: number]: unknown
}

interface LlhttpClass {
  new (): Llhttp
  REQUEST: number
  RESPONSE: number
  kOnMessageBegin: number
  kOnHeaders: number
  kOnHeadersComplete: number
  kOnBody: number
  kOnMessageComplete: number
  kOnExecute: number
  kOnTimeout: number
  kLenientNone: number
}

const common = createRequire(import.meta.url)('_http_common') as { HTTPParser: LlhttpClass; methods: string[] }

export const HTTPParser = common.HTTPParser
/** Method names by the index llhttp reports. */
export const METHODS: readonly string[] = common.methods

/**
 * Returned from the headers-complete callback, llhttp stops right after the
 * head (llhttp's HPE_PAUSED): `execute` returns an error with code
 * `HPE_PAUSED` and `bytesParsed` at the end of the head; `resume()` and a
 * call with the rest go on with the body. Used for pipelined requests.
 */
export const PAUSE_AFTER_HEAD = 21
/**
 * Returned from the headers-complete callback, llhttp takes the message as an
 * upgrade and stops parsing right after the head: `execute` returns how many
 * bytes that was. Used to hand a connection over, or to stop reading one that closes.
 */
export const STOP_AFTER_HEAD = 2
/** Returned from the headers-complete callback: the message has no body (a response to HEAD). */
export const SKIP_BODY = 1

export type OnHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: number | undefined,
  url: string | undefined,
  statusCode: number | undefined,
  statusMessage: string | undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => number

// Each callback is called by the parser with the parser as `this`, so none may rely on its own `this`.
export interface ParserCallbacks {
  /**
   * Left out when nothing is to be done there: llhttp then does not call into
   * JavaScript at the start of each message (a call from C++ into JavaScript
   * is among the dearest steps of a small message).
   */
  onMessageBegin?(this: void): void
  /** Headers (and the URL) that came in pieces or past 32 pairs, before `onHeadersComplete`; trailers too. */
  onHeaders(this: void, headers: string[], url: string): void
  onHeadersComplete: OnHeadersComplete
  onBody(this: void, chunk: Buffer): void
  onMessageComplete(this: void): void
}

export function createParser(type: 'request' | 'response', maxHeaderBytes: number, callbacks: ParserCallbacks): Llhttp {
  const parser = new HTTPParser()
  parser.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, maxHeaderBytes, HTTPParser.kLenientNone)
  if (callbacks.onMessageBegin !== undefined) parser[HTTPParser.kOnMessageBegin] = callbacks.onMessageBegin
  parser[HTTPParser.kOnHeaders] = callbacks.onHeaders
  parser[HTTPParser.kOnHeadersComplete] = callbacks.onHeadersComplete
  parser[HTTPParser.kOnBody] = callbacks.onBody
  parser[HTTPParser.kOnMessageComplete] = callbacks.onMessageComplete
  return parser
}

export function isParseError(result: unknown): result is ParseError {
  return result instanceof Error
}

/**
 * Checks, once, that the parser behaves as this engine relies on: two
 * pipelined requests, the second paused after its head and resumed.
 */
export function checkParserShape(): void {
  const seen: string[] = []
  let heads = 0
  const parser = createParser('request', 16384, {
    onHeaders() {},
    onHeadersComplete(_maj, _min, _headers, method, url) {
      seen.push(`${METHODS[method ?? -1]} ${url}`)
      return ++heads === 2 ? PAUSE_AFTER_HEAD : 0
    },
    onBody(chunk) {
      seen.push(chunk.toString('latin1'))
    },
    onMessageComplete() {
      seen.push('end')
    },
  })
  const input = Buffer.from('POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\naPOST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\nb')
  const first = parser.execute(input)
  let ok = isParseError(first) && first.code === 'HPE_PAUSED'
  if (ok) {
    parser.resume()
    const rest = parser.execute(input.subarray((first as ParseError).bytesParsed))
    ok = rest === 1 && seen.join('|') === 'POST /a|a|end|POST /b|b|end'
  }
  parser.close()
  if (!ok) {
    throw new Error(`the raw HTTP engine does not recognise this Node version's HTTP parser (${process.version}); use --http-engine node`)
  }
}
