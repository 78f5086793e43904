// The floor of any Node proxy: bytes piped between two sockets, no HTTP at all.
// Each client connection gets its own upstream connection, and what one side
// sends is written to the other (net.Socket streams, with backpressure). No
// parsing, no header rewriting, no pooling, nothing recorded: what Node's
// event loop and stream layer alone cost per request on this machine, below
// which no proxy written on them can go.
// Usage: node bench/proxy/pipe-proxy.js <upstream-url>  (prints its port)
import net from 'node:net'

const upstream = new URL(process.argv[2])
const server = net.createServer((client) => {
  const up = net.connect(Number(upstream.port), upstream.hostname)
  client.pipe(up).pipe(client)
  const end = () => {
    client.destroy()
    up.destroy()
  }
  client.on('error', end)
  up.on('error', end)
  client.on('close', end)
  up.on('close', end)
})
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
