import net from 'node:net'

/**
 * Who may use the outbound listeners (`outbound.allowClients`, loopback by
 * default). A forward proxy that anyone can reach is an open proxy: it lets
 * strangers reach whatever the pod can, under the pod's identity. The check is
 * made per connection, before a byte of the request is read, so that binding
 * the listener to a non-loopback address (as a pod-wide proxy might) still
 * does not open it to the network.
 */
export type ClientAccessCheck = (remoteAddress: string | undefined) => boolean

export function createClientAccessCheck(allowed: readonly string[]): ClientAccessCheck {
  const list = new net.BlockList()
  for (const entry of allowed) {
    const slash = entry.indexOf('/')
    const address = slash === -1 ? entry : entry.slice(0, slash)
    const type = net.isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (slash === -1) list.addAddress(address, type)
    else list.addSubnet(address, Number(entry.slice(slash + 1)), type)
  }
  return (remoteAddress) => {
    if (remoteAddress === undefined || remoteAddress === '') return false
    // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d.
    const address = remoteAddress.startsWith('::ffff:') && net.isIPv4(remoteAddress.slice(7)) ? remoteAddress.slice(7) : remoteAddress
    const family = net.isIP(address)
    if (family === 0) return false
    return list.check(address, family === 4 ? 'ipv4' : 'ipv6')
  }
}
