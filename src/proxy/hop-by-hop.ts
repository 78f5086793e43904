/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, so a proxy
 * must not forward them. `Connection` may name more of them.
 *
 * `Trailer` is not among them (RFC 9110 dropped it from the list): a response's
 * `Trailer` announces the trailers the proxy forwards with it.
 */
const ALWAYS_HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'transfer-encoding',
  'upgrade',
])

/** Lower-case names listed in a `Connection` header value (e.g. "keep-alive, X-Foo"). */
export function connectionTokens(connection: string | string[] | undefined): Set<string> | undefined {
  if (connection === undefined) return undefined
  const value = Array.isArray(connection) ? connection.join(',') : connection
  let tokens: Set<string> | undefined
  for (const part of value.split(',')) {
    const token = part.trim().toLowerCase()
    if (token === '' || token === 'close' || token === 'keep-alive') continue
    ;(tokens ??= new Set()).add(token)
  }
  return tokens
}

/**
 * The names a request's `Connection` header makes hop-by-hop, from Node's flat
 * raw header list (name, value, name, value...). A first pass of its own,
 * because `Connection` may come after the headers it names.
 */
export function connectionTokensOfRaw(rawHeaders: readonly string[]): Set<string> | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 10 && rawHeaders[i]!.toLowerCase() === 'connection') return connectionTokens(rawHeaders[i + 1])
  }
  return undefined
}

/** True when `lowerName` must not cross the proxy. */
export function isHopByHop(lowerName: string, named: Set<string> | undefined): boolean {
  return ALWAYS_HOP_BY_HOP.has(lowerName) || (named !== undefined && named.has(lowerName))
}
