/**
 * A strict reading of the bytes a client sent on one connection, as RFC 9112
 * frames requests: which requests they hold, where each body ends, and what
 * is left after the last one. It is the reference a fuzz test holds a proxy
 * to: whatever reaches the service must be a request this reading accepts,
 * with exactly the body it gives (anything else is request smuggling).
 *
 * Where RFC 9112 lets a recipient either reject or repair, the reading
 * rejects, as Node's parser does (each such case is pinned in
 * test/proxy/http1-framing-requests.test.ts): bare LF or CR as a line end,
 * obs-fold, whitespace before a colon, a repeated Content-Length (even with
 * the same value), Content-Length with Transfer-Encoding, a
 * Transfer-Encoding that does not end in exactly one `chunked`. A request
 * whose framing is sound but which must be refused (Host missing or
 * repeated) is read, marked, and the reading goes on. It knows no size limit, nor
 * which methods a parser knows: a proxy may refuse a request the reading
 * accepts, never the other way round.
 *
 * Written from the RFC, not from llhttp, so that it does not share the
 * engines' parser's mistakes.
 */

export interface StrictRequest {
  method: string
  target: string
  version: '1.0' | '1.1'
  /** Field lines in order: the name as sent, the value without its surrounding whitespace. */
  headers: Array<[string, string]>
  /** The content, chunked framing removed. */
  body: Buffer
  framing: 'none' | 'content-length' | 'chunked'
  /** The connection may carry another request after this one (RFC 9112 §9.3). */
  persistent: boolean
  /**
   * Why the request must be refused though its framing is sound (RFC 9110
   * §7.2: Host missing or repeated): it must not reach the service, and the
   * reading goes on after it.
   */
  refuse?: string
  /** Offsets of this request's bytes in the input. */
  start: number
  end: number
}

export interface StrictReading {
  requests: StrictRequest[]
  /**
   * What follows the last accepted request: nothing; bytes after a request
   * that closes the connection (never read); the start of a request that is
   * not all there yet; or bytes that are not a valid request.
   */
  rest: 'none' | 'ignored' | 'incomplete' | 'invalid'
  /** Why the rest is incomplete or invalid. */
  reason: string
  /** Where the rest starts. */
  restStart: number
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
const TOKEN_RE = new RegExp(`^${TOKEN}$`)
/** RFC 9112 §3 lets a recipient split the request line on runs of SP; the proxy writes its own line upstream. */
const REQUEST_LINE_RE = new RegExp(`^(${TOKEN}) +(/[\\x21-\\x7e]*) +HTTP/1\\.([01])$`)
const FIELD_LINE_RE = new RegExp(`^(${TOKEN}):(.*)$`, 's')
/** field-value: visible characters, obs-text, and SP / HTAB between them. */
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"'
/** chunk-ext (RFC 9112 §7.1.1), BWS included. */
const CHUNK_EXT_RE = new RegExp(`^(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*$`)
const CHUNK_SIZE_RE = /^([0-9A-Fa-f]+)(.*)$/s

class Incomplete extends Error {}
class Invalid extends Error {}

export function readRequestsStrictly(bytes: Buffer): StrictReading {
  const text = bytes.toString('latin1')
  const requests: StrictRequest[] = []
  let at = 0
  for (;;) {
    // RFC 9112 §2.2: empty lines before a request line are ignored.
    let start = at
    while (start < text.length && (text[start] === '\r' || text[start] === '\n')) start++
    if (start === text.length) return { requests, rest: 'none', reason: '', restStart: at }
    let request: StrictRequest
    try {
      request = readOne(text, start)
    } catch (err) {
      if (err instanceof Incomplete) return { requests, rest: 'incomplete', reason: err.message, restStart: start }
      if (err instanceof Invalid) return { requests, rest: 'invalid', reason: err.message, restStart: start }
      throw err
    }
    requests.push(request)
    at = request.end
    if (!request.persistent) {
      return {
        requests,
        rest: at === text.length ? 'none' : 'ignored',
        reason: at === text.length ? '' : 'after a request that closes the connection',
        restStart: at,
      }
    }
  }
}

/** One CRLF-terminated line from `at`: its text and where the next starts. */
function readLine(text: string, at: number, what: string): { line: string; next: number } {
  const lf = text.indexOf('\n', at)
  if (lf === -1) {
    const cr = text.indexOf('\r', at)
    if (cr !== -1 && cr < text.length - 1) throw new Invalid(`a bare CR in the ${what}`)
    throw new Incomplete(`the ${what} is cut short`)
  }
  if (lf === at || text[lf - 1] !== '\r') throw new Invalid(`a bare LF ends the ${what}`)
  const line = text.slice(at, lf - 1)
  if (line.includes('\r')) throw new Invalid(`a bare CR in the ${what}`)
  return { line, next: lf + 1 }
}

function readFieldLines(text: string, at: number, what: string): { fields: Array<[string, string]>; next: number } {
  const fields: Array<[string, string]> = []
  for (;;) {
    const { line, next } = readLine(text, at, what)
    at = next
    if (line === '') return { fields, next: at }
    if (line[0] === ' ' || line[0] === '\t') throw new Invalid(`obs-fold in the ${what}`)
    const match = FIELD_LINE_RE.exec(line)
    if (match === null) throw new Invalid(`not a field line in the ${what}: ${JSON.stringify(line.slice(0, 60))}`)
    const value = match[2]!.replace(/^[ \t]+|[ \t]+$/g, '')
    if (!FIELD_VALUE_RE.test(value) || value.includes('\x7f')) throw new Invalid(`a control character in the value of ${match[1]}`)
    fields.push([match[1]!, value])
  }
}

function readOne(text: string, start: number): StrictRequest {
  const first = readLine(text, start, 'request line')
  const requestLine = REQUEST_LINE_RE.exec(first.line)
  if (requestLine === null) throw new Invalid(`not a request line: ${JSON.stringify(first.line.slice(0, 80))}`)
  const [, method, target, minor] = requestLine as unknown as [string, string, string, string]
  const version = minor === '1' ? '1.1' : '1.0'
  const { fields: headers, next: bodyStart } = readFieldLines(text, first.next, 'head')
  const all = (name: string) => headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)

  // RFC 9110 §7.2: exactly one Host in HTTP/1.1, never more than one.
  const hosts = all('host')
  const refuse = hosts.length > 1 ? 'more than one Host' : version === '1.1' && hosts.length === 0 ? 'an HTTP/1.1 request without Host' : undefined

  const lengths = all('content-length')
  const codings = all('transfer-encoding')
  if (lengths.length > 0 && codings.length > 0) throw new Invalid('both Content-Length and Transfer-Encoding')
  if (lengths.length > 1) throw new Invalid('Content-Length repeated')

  let body: Buffer = Buffer.alloc(0)
  let end = bodyStart
  let framing: StrictRequest['framing'] = 'none'
  if (codings.length > 0) {
    const list = codings
      .join(',')
      .split(',')
      .map((c) => c.replace(/^[ \t]+|[ \t]+$/g, ''))
      .filter((c) => c !== '')
    if (list.length === 0 || list.some((c) => !TOKEN_RE.test(c))) throw new Invalid(`not a list of transfer codings: ${JSON.stringify(codings.join(','))}`)
    const lower = list.map((c) => c.toLowerCase())
    if (lower[lower.length - 1] !== 'chunked') throw new Invalid('Transfer-Encoding does not end in chunked')
    if (lower.indexOf('chunked') !== lower.length - 1) throw new Invalid('chunked applied more than once')
    framing = 'chunked'
    ;({ body, end } = readChunked(text, bodyStart))
  } else if (lengths.length === 1) {
    if (!/^[0-9]+$/.test(lengths[0]!)) throw new Invalid(`not a Content-Length: ${JSON.stringify(lengths[0])}`)
    framing = 'content-length'
    const length = BigInt(lengths[0]!)
    if (length > BigInt(text.length - bodyStart)) throw new Incomplete('the body is cut short')
    end = bodyStart + Number(length)
    body = Buffer.from(text.slice(bodyStart, end), 'latin1')
  }

  const connection = new Set(
    all('connection')
      .join(',')
      .split(',')
      .map((t) => t.trim().toLowerCase()),
  )
  let persistent = version === '1.1' ? !connection.has('close') : connection.has('keep-alive') && !connection.has('close')
  // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; close after it.
  if (version === '1.0' && codings.length > 0) persistent = false
  return { method, target, version, headers, body, framing, persistent, start, end, ...(refuse === undefined ? {} : { refuse }) }
}

function readChunked(text: string, at: number): { body: Buffer; end: number } {
  const parts: string[] = []
  for (;;) {
    const { line, next } = readLine(text, at, 'chunk size line')
    const match = CHUNK_SIZE_RE.exec(line)
    if (match === null) throw new Invalid(`not a chunk size: ${JSON.stringify(line.slice(0, 40))}`)
    if (!CHUNK_EXT_RE.test(match[2]!)) throw new Invalid(`not a chunk extension: ${JSON.stringify(match[2]!.slice(0, 40))}`)
    const size = BigInt(`0x${match[1]}`)
    at = next
    if (size === 0n) break
    // Past what any test sends: the data can only be cut short.
    if (size > BigInt(text.length - at)) throw new Incomplete('a chunk is cut short')
    const dataEnd = at + Number(size)
    for (const [offset, expected] of [
      [0, '\r'],
      [1, '\n'],
    ] as const) {
      const c = text[dataEnd + offset]
      if (c === undefined) throw new Incomplete('a chunk is cut short')
      if (c !== expected) throw new Invalid('chunk data not followed by CRLF')
    }
    parts.push(text.slice(at, dataEnd))
    at = dataEnd + 2
  }
  const { next } = readFieldLines(text, at, 'trailer section')
  return { body: Buffer.from(parts.join(''), 'latin1'), end: next }
}
