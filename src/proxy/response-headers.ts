import { connectionTokens, isHopByHop } from './hop-by-hop.js'

/** A header name or value as its bytes read as latin1 (undici hands Buffers, llhttp strings). */
function latin1(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.toString('latin1')
}

/**
 * Turns the upstream's raw response headers (undici's Buffer pairs, or the raw
 * engine's strings) into a flat [name, value…] list, dropping hop-by-hop
 * headers and the names in `replaced` (which the proxy sets itself, such as
 * `traceresponse`). Bytes are read as latin1 so that no header byte is altered.
 */
export function copyResponseHeaders(rawHeaders: ReadonlyArray<Buffer | string>, replaced: ReadonlySet<string>, out: string[]): void {
  let named: Set<string> | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length === 10 && latin1(name).toLowerCase() === 'connection') {
      named = connectionTokens(latin1(rawHeaders[i + 1]!))
      break
    }
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = latin1(rawHeaders[i]!)
    const lower = name.toLowerCase()
    if (isHopByHop(lower, named) || replaced.has(lower)) continue
    out.push(name, latin1(rawHeaders[i + 1]!))
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
