import { readdirSync, readlinkSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { findListenerInodes, findSocketInode, procSocketKeys, readTcpTable } from '../../src/proxy/proc-net-tcp.js'
import { socketInodesOf } from '../../src/proxy/socket-owners.js'

// The worker-process join rule reads the kernel's socket table for the other
// end of a connection it holds, then finds which process holds that socket.
// Here both ends are in this process, so the answer is known: our own fds.

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

const table = (): Promise<string> => new Promise((resolve) => readTcpTable(resolve))

for (const host of ['127.0.0.1', '::1']) {
  t.test(`a connection on ${host}: the other end's inode, held by this process`, async (t) => {
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, () => resolve()))
    t.teardown(() => server.close())
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
    const client = net.connect((server.address() as AddressInfo).port, host)
    await new Promise((resolve) => client.once('connect', resolve))
    const serverEnd = await accepted
    t.teardown(() => {
      client.destroy()
      serverEnd.destroy()
    })
    // From the client's side, the other end is the server's accepted socket.
    const keys = procSocketKeys({ address: client.remoteAddress!, port: client.remotePort! }, { address: client.localAddress!, port: client.localPort! })
    const text = await table()
    const inode = findSocketInode(text, keys)
    t.ok(inode > 0, `found (${inode})`)
    t.ok(ownSocketInodes().has(inode), 'an fd of this process names it')
    const mine = await new Promise<Set<number> | undefined>((resolve) => socketInodesOf(process.pid, resolve))
    t.ok(mine?.has(inode), 'socketInodesOf lists it for this process')
    const listeners = findListenerInodes(text, (server.address() as AddressInfo).port)
    t.equal(listeners.length, 1, 'one listening socket on the port')
    t.ok(ownSocketInodes().has(listeners[0]!), 'held by this process')
    // The other direction: the client's own socket is another inode.
    const back = findSocketInode(
      text,
      procSocketKeys({ address: serverEnd.remoteAddress!, port: serverEnd.remotePort! }, { address: serverEnd.localAddress!, port: serverEnd.localPort! }),
    )
    t.ok(back > 0 && back !== inode, 'the client end is found from the server end')
  })
}

t.test('a connection that is gone is not found', async (t) => {
  const keys = procSocketKeys({ address: '127.0.0.1', port: 1 }, { address: '127.0.0.1', port: 2 })
  t.equal(findSocketInode(await table(), keys), 0)
  t.same(procSocketKeys({ address: 'localhost', port: 1 }, { address: '127.0.0.1', port: 2 }), [], 'a name is not an address')
})
