import net from 'node:net'

/**
 * `outbound.exclude`: destinations the outbound proxy relays untouched — no
 * span, no trace headers — with the NO_PROXY conventions users know from curl
 * and most HTTP clients: `*` matches everything; a host name matches itself and
 * its subdomains (`example.com`, `.example.com` and `*.example.com` all match
 * `api.example.com`); an IP address or CIDR range matches literal addresses in
 * it (no DNS lookups); any pattern may end in `:port` to match that port only.
 * Patterns were validated by the config loader.
 */
export type ExclusionMatcher = (host: string, port: number) => boolean

export function compileExclusions(patterns: readonly string[]): ExclusionMatcher {
  if (patterns.length === 0) return () => false
  if (patterns.includes('*')) return () => true
  const suffixes: Array<{ domain: string; port: number }> = []
  const ranges: Array<{ list: net.BlockList; port: number }> = []
  for (const pattern of patterns) {
    const { host, port } = splitPort(pattern)
    const slash = host.indexOf('/')
    const address = slash === -1 ? host : host.slice(0, slash)
    const family = net.isIP(address)
    if (family !== 0) {
      const list = new net.BlockList()
      const type = family === 4 ? 'ipv4' : 'ipv6'
      if (slash === -1) list.addAddress(address, type)
      else list.addSubnet(address, Number(host.slice(slash + 1)), type)
      ranges.push({ list, port })
    } else {
      suffixes.push({ domain: host.replace(/^\*?\./, '').toLowerCase(), port })
    }
  }
  return (host, port) => {
    const lower = host.toLowerCase()
    for (const suffix of suffixes) {
      if (suffix.port !== 0 && suffix.port !== port) continue
      if (lower === suffix.domain || lower.endsWith(`.${suffix.domain}`)) return true
    }
    const family = net.isIP(lower)
    if (family === 0) return false
    for (const range of ranges) {
      if (range.port !== 0 && range.port !== port) continue
      if (range.list.check(lower, family === 4 ? 'ipv4' : 'ipv6')) return true
    }
    return false
  }
}

function splitPort(pattern: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(pattern)
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] === undefined ? 0 : Number(bracketed[2]) }
  // A bare IPv6 address or range has colons that are not a port.
  if (net.isIP(pattern.split('/')[0]!) === 6) return { host: pattern, port: 0 }
  const colon = pattern.lastIndexOf(':')
  if (colon === -1) return { host: pattern, port: 0 }
  return { host: pattern.slice(0, colon), port: Number(pattern.slice(colon + 1)) }
}
