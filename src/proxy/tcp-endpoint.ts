import { isIPv4, isIPv6 } from 'node:net'

/** One side of a TCP connection, as a Node socket reports it. */
export interface TcpEndpoint {
  address: string
  port: number
}

/**
 * An address's bytes in network order: `v4` (4 bytes) for an IPv4 one, with
 * `v6` its IPv4-mapped form (the same connection seen by a dual-stack
 * socket); `v6` alone for an IPv6 one. Undefined when it is not an IP.
 */
export function endpointBytes(address: string): { v4: number[] | undefined; v6: number[] } | undefined {
  const plain = address.toLowerCase().startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
  if (isIPv4(plain)) {
    const v4 = plain.split('.').map(Number)
    return { v4, v6: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4] }
  }
  if (!isIPv6(plain)) return undefined
  return { v4: undefined, v6: ipv6Bytes(plain) }
}

/** The 16 bytes of a valid IPv6 address (zone id dropped). */
function ipv6Bytes(address: string): number[] {
  const bare = address.split('%')[0]!
  const [head, tail] = bare.includes('::') ? (bare.split('::') as [string, string]) : [bare, undefined]
  const groups = (text: string): number[] => {
    if (text === '') return []
    const out: number[] = []
    for (const part of text.split(':')) {
      if (isIPv4(part)) {
        const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number]
        out.push((a << 8) | b, (c << 8) | d)
      } else {
        out.push(parseInt(part, 16))
      }
    }
    return out
  }
  const front = groups(head)
  const back = tail === undefined ? [] : groups(tail)
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back]
  const bytes: number[] = []
  for (const group of all) bytes.push(group >> 8, group & 0xff)
  return bytes
}
