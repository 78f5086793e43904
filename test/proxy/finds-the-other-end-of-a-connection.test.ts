import { readdirSync, readlinkSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { findListenerInodes, findSocketInode, procSocketKeys, readTcpTable } from '../../src/proxy/proc-net-tcp.js'
import { SockDiag } from '../../src/proxy/sock-diag.js'
import { socketInodesOf } from '../../src/proxy/socket-owners.js'
import type { TcpEndpoint } from '../../src/proxy/tcp-endpoint.js'

// The worker-process join rule asks the kernel for the other end of a
// connection it holds (socket diagnostics over netlink, else the text of
// /proc/net/tcp), then finds which process holds that socket. Here both ends
// are in this process, so the answer is known: our own fds. Both sources must
// give it.

const ownSocketInodes = (): Set<number> => {
  const inodes = new Set<number>()
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`)
      if (target.startsWith('socket:[')) inodes.add(Number(target.slice(8, -1)))
    } catch {
      // closed meanwhile (readdir's own fd)
    }
  }
  return inodes
}

/** What the rule needs of a source: a socket's inode by its addresses, and a port's listening sockets. */
interface Source {
  inodeOf(local: TcpEndpoint, remote: TcpEndpoint): Promise<number>
  listenerInodes(port: number): Promise<number[]>
}

const procTable: Source = {
  inodeOf: (local, remote) => new Promise((resolve) => readTcpTable((text) => resolve(findSocketInode(text, procSocketKeys(local, remote))))),
  listenerInodes: (port) => new Promise((resolve) => readTcpTable((text) => resolve(findListenerInodes(text, port)))),
}

const opened = SockDiag.open()
const sockDiag: Source | undefined =
  opened instanceof Error
    ? undefined
    : {
        inodeOf: (local, remote) => new Promise((resolve, reject) => opened.inodeOf(local, remote, (r) => (r instanceof Error ? reject(r) : resolve(r)))),
        listenerInodes: (port) => new Promise((resolve, reject) => opened.listenerInodes(port, (r) => (r instanceof Error ? reject(r) : resolve(r)))),
      }
t.teardown(() => {
  if (!(opened instanceof Error)) opened.close()
})

const sources: Array<[string, Source | undefined]> = [
  ['socket diagnostics', sockDiag],
  ['/proc/net/tcp', procTable],
]

const endpoints = (socket: net.Socket): { other: TcpEndpoint; us: TcpEndpoint } => ({
  other: { address: socket.remoteAddress!, port: socket.remotePort! },
  us: { address: socket.localAddress!, port: socket.localPort! },
})

for (const [name, source] of sources) {
  // [listen on, connect to]: '::' with 127.0.0.1 is a dual-stack listener, whose accepted socket is IPv6 for an IPv4 peer.
  for (const [listenHost, connectHost] of [
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '::1'],
    ['::', '127.0.0.1'],
  ] as const) {
    t.test(
      `${name}: a connection to ${connectHost} (listening on ${listenHost}): the other end's inode, held by this process`,
      { skip: source === undefined && `socket diagnostics cannot be opened here: ${String(opened)}` },
      async (t) => {
        const server = net.createServer()
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, listenHost, () => resolve()))
        t.teardown(() => server.close())
        const port = (server.address() as AddressInfo).port
        const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
        const client = net.connect(port, connectHost)
        await new Promise((resolve) => client.once('connect', resolve))
        const serverEnd = await accepted
        t.teardown(() => {
          client.destroy()
          serverEnd.destroy()
        })
        // From the client's side, the other end is the server's accepted socket.
        const fromClient = endpoints(client)
        const inode = await source!.inodeOf(fromClient.other, fromClient.us)
        t.ok(inode > 0, `found (${inode})`)
        t.ok(ownSocketInodes().has(inode), 'an fd of this process names it')
        const mine = await new Promise<Set<number> | undefined>((resolve) => socketInodesOf(process.pid, resolve))
        t.ok(mine?.has(inode), 'socketInodesOf lists it for this process')
        const listeners = await source!.listenerInodes(port)
        t.equal(listeners.length, 1, 'one listening socket on the port')
        t.ok(ownSocketInodes().has(listeners[0]!), 'held by this process')
        // The other direction: the client's own socket is another inode.
        const fromServer = endpoints(serverEnd)
        const back = await source!.inodeOf(fromServer.other, fromServer.us)
        t.ok(back > 0 && back !== inode, 'the client end is found from the server end')
      },
    )
  }

  t.test(`${name}: a connection that is gone is not found`, { skip: source === undefined && 'socket diagnostics cannot be opened here' }, async (t) => {
    t.equal(await source!.inodeOf({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 }), 0)
    t.equal(await source!.inodeOf({ address: 'localhost', port: 1 }, { address: '127.0.0.1', port: 2 }), 0, 'a name is not an address')
  })
}
