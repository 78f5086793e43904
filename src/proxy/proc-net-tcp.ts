import { readFile } from 'node:fs'
import { endianness } from 'node:os'
import { endpointBytes, type TcpEndpoint } from './tcp-endpoint.js'

/**
 * The kernel's table of TCP sockets of this network namespace, as
 * `/proc/net/tcp` and `/proc/net/tcp6` print it, and how to find in it the
 * socket inode of the *other* end of a connection the sidecar holds: the
 * service's end. The sidecar shares the pod's network namespace, so that end
 * is listed too; its inode is what `/proc/<pid>/fd` names as `socket:[inode]`
 * in the process that holds it (socket-owners.ts).
 *
 * A line reads `  sl: LOCAL REMOTE st … uid timeout inode …`, with each
 * address as hex of 32-bit words in the host's byte order and the port as 4
 * hex digits. Only the lines asked for are read: the text is searched for the
 * address pair, not parsed whole.
 */

const LITTLE_ENDIAN = endianness() === 'LE'

/**
 * The `LOCAL REMOTE` text(s) of the line that lists the socket whose own
 * address is `local` and whose peer is `remote`. An IPv4 connection is listed
 * in `tcp`, or in `tcp6` as an IPv4-mapped address when that end is an IPv6
 * socket: both forms are returned. Empty when an address is not an IP.
 */
export function procSocketKeys(local: TcpEndpoint, remote: TcpEndpoint): string[] {
  const l = addressWords(local.address)
  const r = addressWords(remote.address)
  if (l === undefined || r === undefined) return []
  const lp = portHex(local.port)
  const rp = portHex(remote.port)
  if (l.v4 !== undefined && r.v4 !== undefined) {
    return [`${l.v4}:${lp} ${r.v4}:${rp}`, `${l.v6}:${lp} ${r.v6}:${rp}`]
  }
  return [`${l.v6}:${lp} ${r.v6}:${rp}`]
}

/**
 * The inode of the socket listed under `keys` (from `procSocketKeys`) in the
 * table text, or 0 when none is (gone, or not yet accepted by any process:
 * a connection waiting in a listen queue has no socket inode yet).
 */
export function findSocketInode(table: string, keys: readonly string[]): number {
  for (const key of keys) {
    let at = table.indexOf(`: ${key} `)
    while (at !== -1) {
      // After `: LOCAL REMOTE ` come st, tx:rx, tr:when, retrnsmt, uid, timeout, inode.
      const lineEnd = table.indexOf('\n', at)
      const fields = table
        .slice(at + key.length + 3, lineEnd === -1 ? undefined : lineEnd)
        .trim()
        .split(/\s+/)
      const inode = Number(fields[6])
      if (Number.isInteger(inode) && inode > 0) return inode
      at = table.indexOf(`: ${key} `, at + 1)
    }
  }
  return 0
}

/**
 * The inodes of the listening sockets on `port` (any address, IPv4 or IPv6):
 * every process of a prefork server holds them, so they name its workers,
 * idle ones included.
 */
export function findListenerInodes(table: string, port: number): number[] {
  const pattern = new RegExp(`: [0-9A-F]+:${portHex(port)} 0+:0000 0A .*$`, 'gm')
  const inodes: number[] = []
  for (const match of table.matchAll(pattern)) {
    // After `: LOCAL REMOTE ` (REMOTE is all zeros when listening) come st … inode, as above.
    const fields = match[0].split(/\s+/)
    const inode = Number(fields[9])
    if (Number.isInteger(inode) && inode > 0) inodes.push(inode)
  }
  return inodes
}

/** Reads both tables (tcp6 may be missing: IPv6 off) into one text. */
export function readTcpTable(callback: (table: string) => void): void {
  readFile('/proc/net/tcp', 'latin1', (err4, v4) => {
    readFile('/proc/net/tcp6', 'latin1', (err6, v6) => {
      callback(`${err4 === null ? v4 : ''}${err6 === null ? v6 : ''}`)
    })
  })
}

function portHex(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0')
}

/** One 32-bit word as /proc prints it: the four bytes in the host's order. */
function wordHex(bytes: readonly number[], at: number): string {
  const word = LITTLE_ENDIAN ? [bytes[at + 3]!, bytes[at + 2]!, bytes[at + 1]!, bytes[at]!] : bytes.slice(at, at + 4)
  let out = ''
  for (const b of word) out += b.toString(16).toUpperCase().padStart(2, '0')
  return out
}

/** An address as /proc prints it: `v4` for an IPv4 one (and `v6` its mapped form), else `v6` alone. */
function addressWords(address: string): { v4: string | undefined; v6: string } | undefined {
  const bytes = endpointBytes(address)
  if (bytes === undefined) return undefined
  let v6 = ''
  for (let i = 0; i < 16; i += 4) v6 += wordHex(bytes.v6, i)
  return { v4: bytes.v4 === undefined ? undefined : wordHex(bytes.v4, 0), v6 }
}
