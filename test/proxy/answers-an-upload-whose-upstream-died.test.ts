import t from 'tap'
import net from 'node:net'
import { answerEachRequest, okResponse, startRawUpstream } from '../helpers/raw-upstream.js'
import { request } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'
import { HTTP_ENGINES, httpEngineFlags } from '../helpers/http-engines.js'

// An upload the service stops reading fills the socket buffers; the proxy then
// stops reading the client until the service drains. If the service dies
// instead, no drain ever comes: the client must still get its answer (502) and
// see the connection close, not wait on a paused socket.
const upstream = await startRawUpstream(async (connection) => {
  await new Promise((resolve) => connection.socket.once('data', resolve))
  if (connection.received().includes('/stall')) {
    connection.socket.pause()
    setTimeout(() => connection.socket.destroy(), 300)
    return
  }
  await answerEachRequest(okResponse)(connection)
})
t.teardown(() => upstream.close())

interface UploadOutcome {
  answer: string
  closed: boolean
}

/** POSTs a 256 MiB body as fast as the proxy takes it; resolves when the connection closes, or after `waitMs`. */
function uploadUntilAnswered(port: number, waitMs: number): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunk = Buffer.alloc(1024 * 1024, 0x61)
    let answer = ''
    let left = 256
    let done = false
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ answer, closed })
    }
    const timer = setTimeout(() => finish(false), waitMs)
    const pump = (): void => {
      while (left > 0 && answer === '') {
        left--
        if (!socket.write(chunk)) return
      }
    }
    socket.on('drain', pump)
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1')
      // Answered: the rest of the body is not sent, and the client shuts its side as a browser would.
      socket.end()
    })
    socket.on('error', () => {})
    socket.on('close', () => finish(true))
    socket.write(`POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: ${256 * 1024 * 1024}\r\n\r\n`)
    pump()
  })
}

for (const engine of HTTP_ENGINES) {
  t.test(`${engine} engine: an upload held back for a service that then dies is answered 502 and its connection closed`, async (t) => {
    const proxy = await startTestSidecar(upstream.url, httpEngineFlags(engine))
    t.teardown(() => proxy.close())
    const outcome = await uploadUntilAnswered(Number(new URL(proxy.url).port), 15_000)
    t.match(outcome.answer, /^HTTP\/1\.1 502 /, 'the client is answered 502')
    t.ok(outcome.closed, 'the connection is closed (not left paused and open)')
    const after = await request(proxy.url + '/after')
    t.equal(after.status, 200, 'the next request goes through')
    const span = proxy.spans.spans.find((s) => s.attributes['url.path'] === '/stall')
    t.equal(span?.attributes['error.type'], 'upstream_reset', "the upload's span says the service reset the connection")
  })
}
