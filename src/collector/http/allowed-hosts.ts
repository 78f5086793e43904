/**
 * Which `Host` headers the API and UI server answers (DNS rebinding): a page
 * on another site whose name the attacker re-points at 127.0.0.1 reaches us
 * with its own name in `Host`, so a name we were not told about is refused.
 * IP literals are always fine (a rebinding attack needs a name), as are
 * `localhost` and `*.localhost` and the address the collector listens on.
 * Behind a reverse proxy or a DNS name (a Kubernetes Service, Grafana's data
 * source URL), the operator lists the names, or switches the check off.
 */
import { isIP } from 'node:net'

/** `'any'` turns the check off; otherwise extra host names (no port), case-insensitive. */
export type AllowedHosts = readonly string[] | 'any'

export interface HostCheck {
  /** True when a request with this `Host` header may be answered. */
  allows(hostHeader: string | undefined): boolean
}

/** The name part of a Host header: without the port, and without brackets around IPv6. */
export function hostName(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase()
  if (value.startsWith('[')) {
    const end = value.indexOf(']')
    return end < 0 ? value : value.slice(1, end)
  }
  const colon = value.lastIndexOf(':')
  // More than one colon without brackets: a bare IPv6 address, not host:port.
  return colon >= 0 && value.indexOf(':') === colon ? value.slice(0, colon) : value
}

export function hostCheck(listenHost: string, allowed: AllowedHosts = []): HostCheck {
  if (allowed === 'any') return { allows: () => true }
  const names = new Set([hostName(listenHost), ...allowed.map((name) => hostName(name))].filter((name) => name !== ''))
  return {
    allows(hostHeader) {
      // HTTP/1.0 clients may send none; browsers always do.
      if (hostHeader === undefined || hostHeader === '') return true
      const name = hostName(hostHeader).replace(/\.$/, '')
      return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || names.has(name)
    },
  }
}
