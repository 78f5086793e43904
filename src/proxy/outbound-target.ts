/**
 * Where an outbound call goes, read from what the service sent: the
 * absolute-form request target of a forward-proxy request
 * (`GET http://payments:8080/charge?x=1 HTTP/1.1`, RFC 9112 §3.2.2) or the
 * authority of a CONNECT (`CONNECT payments:443`, §3.2.3).
 */
export interface OutboundTarget {
  /** `http://payments:8080`: what undici dispatches to. */
  origin: string
  /** Host name or IP address, IPv6 without brackets. */
  host: string
  port: number
  /** Path and query as sent (forwarded unchanged). */
  target: string
  /** The path without the query (spans never record the query). */
  path: string
}

/** Undefined when the request target is not an absolute http: or https: URL. */
export function parseAbsoluteTarget(requestTarget: string): OutboundTarget | undefined {
  // Origin-form (`/path`) means the client did not treat us as a proxy.
  if (!(requestTarget.startsWith('http://') || requestTarget.startsWith('https://'))) return undefined
  let url: URL
  try {
    url = new URL(requestTarget)
  } catch {
    return undefined
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '') return undefined
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port)
  const afterAuthority = requestTarget.indexOf('/', url.protocol.length + 2)
  const target = afterAuthority === -1 ? '/' : stripFragment(requestTarget.slice(afterAuthority))
  const q = target.indexOf('?')
  return {
    origin: url.origin,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    target,
    path: q === -1 ? target : target.slice(0, q),
  }
}

/** `host:port` / `[v6]:port` of a CONNECT; undefined when malformed. */
export function parseConnectAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]/\s@]+)):(\d{1,5})$/.exec(authority)
  if (match === null) return undefined
  const port = Number(match[3])
  if (port < 1 || port > 65535) return undefined
  return { host: (match[1] ?? match[2]!).toLowerCase(), port }
}

function stripFragment(target: string): string {
  const hash = target.indexOf('#')
  return hash === -1 ? target : target.slice(0, hash)
}
