import t from 'tap'
import net from 'node:net'
import { connectRawClient } from '../helpers/raw-client.js'
import { startTestSidecar } from '../helpers/sidecar.js'
import { HTTP_ENGINES, httpEngineFlags } from '../helpers/http-engines.js'

// An upload that arrives while the upstream connection is still being set up
// is held in memory, and past a bound the proxy stops reading the client.
// If the connection then fails with the whole upload already read, the client
// is answered on a connection that stays open: the proxy must read it again,
// or the client's next request waits unread until the keep-alive timeout.
// (The node engine closes such a connection instead, which is as good.)

/** Takes TCP connections and never answers the TLS handshake: an https upstream whose connect can only time out. */
const silent = net.createServer((socket) => socket.on('error', () => {}))
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => silent.close(() => resolve())))
const upstream = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
const held = new Set<net.Socket>()
silent.on('connection', (socket) => {
  held.add(socket)
  socket.once('close', () => held.delete(socket))
})
t.teardown(() => held.forEach((socket) => socket.destroy()))

/** More than the proxy holds before it stops reading (256 KiB): it pauses on the read that completes the body. */
const BODY_BYTES = 256 * 1024 + 1

for (const engine of HTTP_ENGINES) {
  t.test(`${engine} engine: after a held upload's upstream fails, the next request on the connection is read`, async (t) => {
    const proxy = await startTestSidecar(upstream, [...httpEngineFlags(engine), '--connect-timeout-ms', '300'])
    t.teardown(() => proxy.close())
    const client = await connectRawClient(Number(new URL(proxy.url).port))
    t.teardown(() => client.destroy())

    client.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY_BYTES}\r\n\r\n`)
    client.write(Buffer.alloc(BODY_BYTES - 1, 0x61))
    // The proxy has read all of that (and held it: the upstream is not connected); the last byte crosses the bound.
    await new Promise((resolve) => setTimeout(resolve, 100))
    client.write('a')
    const [first] = await client.responses(['POST'])
    t.equal(first?.status, 504, 'the upload is answered 504 (connect timeout)')
    if (first?.header('connection').includes('close')) {
      // Node's server closes a connection whose request failed with a body: the client knows to reconnect.
      await client.untilClosed()
      t.ok(client.isClosed(), 'the connection it closed is closed')
      return
    }
    client.write('GET /next HTTP/1.1\r\nHost: x\r\n\r\n')
    const [next] = await client.responses(['GET'])
    t.equal(next?.status, 504, 'the next request on the connection is read and answered (not left unread until the keep-alive timeout)')
  })
}
