import t from 'tap'
import { WebSocket, WebSocketServer } from 'ws'
import type { IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import { freePort, request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

let handshake: IncomingHttpHeaders | undefined
const upstream = await startHttpServer((_req, res) => res.end('not a websocket'))
const wss = new WebSocketServer({ server: upstream.server })
wss.on('connection', (ws, req) => {
  handshake = req.headers
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
})
const proxy = await startTestSidecar(upstream.url)
t.teardown(async () => {
  wss.close()
  await proxy.close()
  await upstream.close()
})

t.test('a WebSocket echo through the proxy is one span with its duration and byte counts', async (t) => {
  const ws = new WebSocket(proxy.url.replace('http', 'ws') + '/socket', {
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  })
  const replies: string[] = []
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => {
      for (let i = 0; i < 10; i++) ws.send(`message ${i} ${'x'.repeat(100)}`)
    })
    ws.on('message', (data) => {
      replies.push(data.toString())
      if (replies.length === 10) ws.close()
    })
    ws.on('close', () => resolve())
    ws.on('error', reject)
  })
  t.equal(replies.length, 10)
  t.match(replies[9], /^message 9 x+$/)
  await proxy.spans.waitFor(1)
  const span = proxy.spans.spans[0]!
  t.equal(span.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
  t.equal(span.parentSpanId, '00f067aa0ba902b7')
  t.equal(span.attributes['http.response.status_code'], 101)
  t.equal(span.statusCode, 0)
  t.ok((span.attributes['tracecar.upgrade.bytes_from_client'] as number) > 10 * 100, 'bytes from the client counted')
  t.ok((span.attributes['tracecar.upgrade.bytes_to_client'] as number) > 10 * 100, 'bytes to the client counted')
  t.ok(span.endUnixMs > span.startUnixMs)
  t.equal(handshake!.traceparent, `00-4bf92f3577b34da6a3ce929d0e0e4736-${span.spanId}-01`, 'context injected into the handshake')
  t.equal(handshake!['x-trace-id'], span.traceId)
})

t.test('a WebSocket to an unreachable upstream: 502 and an ERROR span', async (t) => {
  const dead = await startTestSidecar(`http://127.0.0.1:${await freePort()}`)
  t.teardown(() => dead.close())
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(dead.url.replace('http', 'ws') + '/socket')
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => resolve(-1))
  })
  t.equal(status, 502)
  await dead.spans.waitFor(1)
  t.equal(dead.spans.spans[0]!.statusCode, 2)
  t.equal(dead.spans.spans[0]!.attributes['error.type'], 'connection_refused')
})

t.test('a failed upgrade gets the error.type a plain request gets for the same cause', async (t) => {
  // `.invalid` never resolves (RFC 6761): a DNS failure, not a refused connection.
  const unresolvable = await startTestSidecar('http://tracecar-upstream.invalid:8080')
  t.teardown(() => unresolvable.close())
  const plain = await request(unresolvable.url + '/x')
  await unresolvable.spans.waitFor(1)
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(unresolvable.url.replace('http', 'ws') + '/socket')
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.on('error', () => resolve(-1))
  })
  await unresolvable.spans.waitFor(2)
  const [plainSpan, upgradeSpan] = unresolvable.spans.spans
  t.equal(plainSpan!.attributes['error.type'], 'dns_error')
  t.equal(upgradeSpan!.attributes['error.type'], 'dns_error', 'not connection_refused')
  t.equal(status, plain.status, 'the same status (502)')
  t.equal(upgradeSpan!.statusCode, 2)
})

t.test('an upgrade pipelined behind a plain request is relayed once that request is answered', async (t) => {
  const { port } = new URL(proxy.url)
  const socket = net.connect(Number(port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => (received += chunk))
  const upgraded = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 101 after 5 s; received:\n${received}`)), 5000)
    socket.on('data', () => {
      if (/HTTP\/1\.1 101 /.test(received)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  socket.write(
    'GET /plain HTTP/1.1\r\nHost: example\r\n\r\n' +
      'GET /socket HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  )
  await upgraded
  const plainAt = received.indexOf('HTTP/1.1 200 ')
  t.ok(plainAt !== -1 && plainAt < received.indexOf('HTTP/1.1 101 '), 'the plain request answered first')
  t.match(received, /not a websocket/)
  t.match(received, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i, 'the upstream accepted the handshake')
})
