import type { IncomingHttpHeaders } from 'node:http'

/**
 * A request head as the raw engine parsed it, with the fields of Node's
 * `IncomingMessage` that the proxy's shared per-request code reads (so both
 * engines begin an exchange and build the upstream headers the same way).
 */
export class RequestHead {
  readonly httpVersion: string
  /** Lower-case names, repeated headers combined the way Node does it (see `headersObject`). */
  readonly headers: IncomingHttpHeaders

  constructor(
    readonly method: string,
    readonly url: string,
    readonly httpVersionMajor: number,
    readonly httpVersionMinor: number,
    /** Flat [name, value, name, value…] exactly as received. */
    readonly rawHeaders: string[],
    readonly socket: { remoteAddress?: string; remotePort?: number },
    /** llhttp's verdict from the version and `Connection`. */
    readonly keepAlive: boolean,
    /** An `Upgrade` request (or CONNECT): relayed by the node engine. */
    readonly upgrade: boolean,
  ) {
    // Nearly every request is HTTP/1.1: its text is not made anew each time.
    this.httpVersion = httpVersionMajor === 1 && httpVersionMinor === 1 ? '1.1' : `${httpVersionMajor}.${httpVersionMinor}`
    this.headers = headersObject(rawHeaders)
  }

  /** The head again as bytes, for handing the connection to Node's server (upgrades). */
  serialize(): Buffer {
    let text = `${this.method} ${this.url} HTTP/${this.httpVersion}\r\n`
    const raw = this.rawHeaders
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`
    return Buffer.from(`${text}\r\n`, 'latin1')
  }
}

/** Headers of which Node keeps the first and drops repeats (`IncomingMessage#_addHeaderLine`). */
const FIRST_WINS = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
])

/**
 * `IncomingMessage#headers` from a raw header list, by Node's rules: names
 * lower-cased; `set-cookie` an array; `cookie` joined with "; "; the
 * single-valued fields above keep their first value; any other repeat joined
 * with ", ".
 */
export function headersObject(raw: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    const value = raw[i + 1]!
    const existing = headers[name]
    if (existing === undefined) {
      headers[name] = name === 'set-cookie' ? [value] : value
    } else if (name === 'set-cookie') {
      ;(existing as string[]).push(value)
    } else if (!FIRST_WINS.has(name)) {
      headers[name] = `${existing as string}${name === 'cookie' ? '; ' : ', '}${value}`
    }
  }
  return headers as IncomingHttpHeaders
}

/**
 * An absolute-form target (`GET http://example.com/a HTTP/1.1`) in origin
 * form, with the Host it implies: RFC 9112 §3.2.2 has the server use the
 * target's authority and ignore the Host header, so the service sees one
 * authority and a path. `undefined` when the target is not an http(s) URL.
 */
export function originForm(target: string, rawHeaders: string[]): { target: string; rawHeaders: string[] } | undefined {
  const match = /^https?:\/\/([^/?#]*)([^#]*)/i.exec(target)
  if (match === null) return undefined
  const authority = match[1]!
  const rest = match[2]!
  const headers: string[] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'host') headers.push(rawHeaders[i]!, rawHeaders[i + 1]!)
  }
  headers.push('Host', authority)
  return { target: rest === '' ? '/' : rest.charCodeAt(0) === 0x3f ? `/${rest}` : rest, rawHeaders: headers }
}
