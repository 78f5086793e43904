import { connectionTokensOfRaw, isHopByHop } from './hop-by-hop.js'

/**
 * Headers the proxy rewrites itself, so the client's copy is never forwarded:
 * trace context (a malformed or duplicate `traceparent` must not reach the
 * service), the correlation headers it injects (a caller must not be able to
 * spoof the trace id the service logs), and `expect`, because the proxy
 * answers `100-continue` itself (undici cannot send it upstream over HTTP/1.1).
 */
const REWRITTEN = new Set([
  'traceparent',
  'tracestate',
  'b3',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'x-b3-flags',
  'uber-trace-id',
  'expect',
  // undici sends no request trailers, so none may be announced.
  'trailer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
])

export interface ForwardedFacts {
  peerAddress: string
  scheme: string
  /** The Host the client sent ('' when none). */
  host: string
}

/**
 * Copies the client's headers for the upstream request into `out` as a flat
 * [name, value, name, value…] list (undici's cheapest header form), leaving out
 * hop-by-hop headers, the headers in `REWRITTEN` and the names in `replaced`
 * (lower-case: the correlation headers the proxy sets itself). Adds the
 * `X-Forwarded-*` headers: For is appended to, Proto and Host keep the first
 * proxy's value when one is there already.
 *
 * Returns the index in `out` where the headers the proxy sets itself begin.
 *
 * With `keepHost` false the Host header is dropped so undici sends the
 * upstream's own.
 */
export function copyRequestHeaders(rawHeaders: string[], replaced: ReadonlySet<string>, keepHost: boolean, forwarded: ForwardedFacts, out: string[]): number {
  const named = connectionTokensOfRaw(rawHeaders)
  let xff = ''
  let xfProto = ''
  let xfHost = ''
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    const lower = name.toLowerCase()
    const value = rawHeaders[i + 1]!
    if (REWRITTEN.has(lower)) {
      if (lower === 'x-forwarded-for') xff = xff === '' ? value : `${xff}, ${value}`
      else if (lower === 'x-forwarded-proto' && xfProto === '') xfProto = value
      else if (lower === 'x-forwarded-host' && xfHost === '') xfHost = value
      continue
    }
    if (isHopByHop(lower, named) || replaced.has(lower)) continue
    if (!keepHost && lower === 'host') continue
    out.push(name, value)
  }
  const ownFrom = out.length
  out.push('x-forwarded-for', xff === '' ? forwarded.peerAddress : `${xff}, ${forwarded.peerAddress}`)
  out.push('x-forwarded-proto', xfProto === '' ? forwarded.scheme : xfProto)
  if (xfHost !== '') out.push('x-forwarded-host', xfHost)
  else if (forwarded.host !== '') out.push('x-forwarded-host', forwarded.host)
  return ownFrom
}

/** More than one Host field line (RFC 9110 §7.2: the request is refused with 400). */
export function hasRepeatedHost(rawHeaders: readonly string[]): boolean {
  let seen = false
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue
    if (seen) return true
    seen = true
  }
  return false
}
