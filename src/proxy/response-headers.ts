import { connectionTokens, isHopByHop } from './hop-by-hop.js'

/**
 * Turns undici's raw upstream response headers (Buffer pairs) into the flat
 * [name, value…] list `ServerResponse.writeHead` takes, dropping hop-by-hop
 * headers and the names in `replaced` (which the proxy sets itself, such as
 * `traceresponse`). Bytes are read as latin1 so that no header byte is altered.
 */
export function copyResponseHeaders(rawHeaders: Buffer[], replaced: ReadonlySet<string>, out: string[]): void {
  let named: Set<string> | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length === 10 && name.toString('latin1').toLowerCase() === 'connection') {
      named = connectionTokens(rawHeaders[i + 1]!.toString('latin1'))
      break
    }
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toString('latin1')
    const lower = name.toLowerCase()
    if (isHopByHop(lower, named) || replaced.has(lower)) continue
    out.push(name, rawHeaders[i + 1]!.toString('latin1'))
  }
}

/** Trailer fields from undici (Buffer pairs) as [name, value] tuples for `addTrailers`. */
export function trailerPairs(rawTrailers: Buffer[] | string[] | null): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  if (rawTrailers === null) return pairs
  for (let i = 0; i < rawTrailers.length; i += 2) {
    pairs.push([rawTrailers[i]!.toString(), rawTrailers[i + 1]!.toString()])
  }
  return pairs
}
