import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

let releaseUpstream!: () => void
const firstChunkSeen = new Promise<void>((resolve) => (releaseUpstream = resolve))
const upstream = await startHttpServer((req, res) => {
  if (req.url === '/echo') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    req.pipe(res)
  } else if (req.url === '/chunked') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first chunk\n')
    // The rest only once the client has seen the first chunk through the proxy.
    void firstChunkSeen.then(() => res.end('last chunk\n'))
  } else if (req.url === '/trailers') {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' })
    res.write('body')
    res.addTrailers({ 'x-checksum': 'abc123' })
    res.end()
  } else if (req.url === '/head') {
    res.writeHead(200, { 'content-length': '1234', 'content-type': 'text/plain' })
    res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1234))
  } else if (req.url === '/count') {
    let bytes = 0
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => res.end(String(bytes)))
  } else {
    res.end()
  }
})
const proxy = await startTestSidecar(upstream.url)
t.teardown(async () => {
  await proxy.close()
  await upstream.close()
})

t.test('request and response bodies pass both ways, with their sizes on the span', async (t) => {
  const body = Buffer.alloc(256 * 1024, 7)
  const res = await request(proxy.url + '/echo', { method: 'PUT', body })
  t.equal(res.status, 200)
  t.equal(res.body.length, body.length)
  await proxy.spans.waitFor(1)
  const span = proxy.spans.spans.at(-1)!
  t.equal(span.attributes['http.request.body.size'], body.length)
  t.equal(span.attributes['http.response.body.size'], body.length)
})

t.test('a chunked response streams as it is produced, not buffered to the end', async (t) => {
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(proxy.url + '/chunked', { agent: false }, (res) => {
        t.equal(res.headers['transfer-encoding'], 'chunked')
        let text = ''
        res.on('data', (d: Buffer) => {
          text += d.toString()
          // The upstream has not ended its response yet: this chunk was relayed on its own.
          if (text === 'first chunk\n') releaseUpstream()
        })
        res.on('end', () => resolve(text))
      })
      .on('error', reject)
  })
  t.equal(body, 'first chunk\nlast chunk\n')
})

t.test('a chunked request body (no content-length) is forwarded', async (t) => {
  const count = await new Promise<string>((resolve, reject) => {
    const req = http.request(proxy.url + '/count', { method: 'POST', agent: false }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.write('a'.repeat(1000))
    setTimeout(() => req.end('b'.repeat(500)), 20)
  })
  t.equal(count, '1500')
})

t.test('trailers are relayed', async (t) => {
  const res = await request(proxy.url + '/trailers')
  t.equal(res.body, 'body')
  t.equal(res.trailers['x-checksum'], 'abc123')
})

t.test('HEAD gets the headers and no body', async (t) => {
  const res = await request(proxy.url + '/head', { method: 'HEAD' })
  t.equal(res.status, 200)
  t.equal(res.headers['content-length'], '1234')
  t.equal(res.body, '')
})

t.test('Expect: 100-continue is answered and the body then forwarded', async (t) => {
  const port = (proxy.sidecar.inbound as AddressInfo).port
  const text = await new Promise<string>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n')
    })
    let out = ''
    s.on('data', (d) => {
      out += d.toString()
      if (out.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !out.includes('200')) s.write('hello')
    })
    s.on('close', () => resolve(out))
    s.on('error', reject)
  })
  t.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/)
  t.match(text, /\r\n\r\n5$/)
})

t.test('keep-alive: many requests share the client connection', async (t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const sockets = new Set<net.Socket>()
  for (let i = 0; i < 20; i++) {
    await new Promise<void>((resolve, reject) => {
      http
        .get(proxy.url + '/head', { agent }, (res) => {
          sockets.add(res.socket)
          res.resume()
          res.on('end', resolve)
        })
        .on('error', reject)
    })
  }
  t.equal(sockets.size, 1)
})
