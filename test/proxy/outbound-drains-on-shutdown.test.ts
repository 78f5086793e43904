import t from 'tap'
import net from 'node:net'
import { ProxyAgent, request as undiciRequest } from 'undici'
import { startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

// A destination that answers after 300 ms, or never (for the drain deadline).
const destination = await startHttpServer((req, res) => {
  if (req.url === '/never') return
  setTimeout(() => res.end('late but complete'), 300)
})
t.teardown(() => destination.close())

t.test('shutdown lets an outbound call in flight finish, and its span is flushed', async (t) => {
  const sidecar = await startTestSidecar('http://127.0.0.1:1')
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${sidecar.sidecar.outbound!.forward.port}`, proxyTunnel: false })
  t.teardown(() => agent.close())
  const pending = undiciRequest(`${destination.url}/slow`, { dispatcher: agent }).then(async (res) => ({ status: res.statusCode, body: await res.body.text() }))
  await new Promise((resolve) => setTimeout(resolve, 100))
  const report = await sidecar.sidecar.shutdown()
  const answer = await pending
  t.equal(answer.status, 200)
  t.equal(answer.body, 'late but complete')
  t.equal(report.requestsCut, 0)
  t.equal(sidecar.spans.spans.length, 1)
  t.equal(sidecar.spans.spans[0]!.attributes['error.type'], undefined)
})

t.test('a call still open at the drain deadline is cut and its span says shutdown', async (t) => {
  const sidecar = await startTestSidecar('http://127.0.0.1:1', ['--drain-timeout-ms', '200'])
  const agent = new ProxyAgent({ uri: `http://127.0.0.1:${sidecar.sidecar.outbound!.forward.port}`, proxyTunnel: false })
  t.teardown(() => agent.destroy())
  const pending = undiciRequest(`${destination.url}/never`, { dispatcher: agent }).then(
    () => 'answered',
    () => 'cut',
  )
  await new Promise((resolve) => setTimeout(resolve, 100))
  const report = await sidecar.sidecar.shutdown()
  t.equal(await pending, 'cut')
  t.equal(report.requestsCut, 1)
  t.equal(sidecar.spans.spans[0]!.attributes['error.type'], 'shutdown')
})

t.test('an absolute-form upgrade through the forward proxy is answered 501 with a span (clients tunnel with CONNECT)', async (t) => {
  const sidecar = await startTestSidecar('http://127.0.0.1:1')
  t.teardown(() => sidecar.close())
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(sidecar.sidecar.outbound!.forward.port, '127.0.0.1', () => {
      socket.write(`GET ${destination.url}/ws HTTP/1.1\r\nHost: 127.0.0.1:${destination.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`)
    })
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString()))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
  t.match(answer, /^HTTP\/1\.1 501 Not Implemented/)
  await sidecar.spans.waitFor(1)
  t.equal(sidecar.spans.spans[0]!.attributes['error.type'], 'upgrade_not_supported')
})
