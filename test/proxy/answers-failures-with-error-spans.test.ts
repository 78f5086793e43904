import t from 'tap'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { spawn } from 'node:child_process'
import { freePort, request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'
import type { TestSidecar } from '../helpers/sidecar.js'

/** Waits for exactly one more span and checks no second one follows for that request. */
async function onlySpanAfter(proxy: TestSidecar, before: number) {
  await proxy.spans.waitFor(before + 1)
  await new Promise((r) => setTimeout(r, 100))
  return proxy.spans.spans.slice(before)
}

t.test('upstream refusing connections: 502 and one ERROR span connection_refused', async (t) => {
  const proxy = await startTestSidecar(`http://127.0.0.1:${await freePort()}`)
  t.teardown(() => proxy.close())
  const res = await request(proxy.url + '/checkout', { method: 'POST', body: 'order' })
  t.equal(res.status, 502)
  t.match(res.body, /connection_refused/)
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans.length, 1)
  t.equal(spans[0]!.statusCode, 2, 'status ERROR')
  t.equal(spans[0]!.attributes['error.type'], 'connection_refused')
  t.equal(spans[0]!.attributes['http.response.status_code'], 502)
  t.equal(res.headers['x-trace-id'], spans[0]!.traceId, 'the trace id comes back on errors too')
})

t.test('upstream not answering within the headers timeout: 504 headers_timeout', async (t) => {
  const upstream = await startHttpServer(() => {
    /* never answers */
  })
  const proxy = await startTestSidecar(upstream.url, ['--headers-timeout-ms', '300'])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  const res = await request(proxy.url + '/slow')
  t.equal(res.status, 504)
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans.length, 1)
  t.equal(spans[0]!.attributes['error.type'], 'headers_timeout')
  t.equal(spans[0]!.statusCode, 2)
})

t.test('upstream whose backlog is full: 504 connect_timeout', async (t) => {
  // A real listening socket that never accepts: once its backlog is full the
  // kernel drops further SYNs, so a connect can only time out.
  const child = spawn(
    'python3',
    [
      '-c',
      [
        'import socket, sys, time',
        's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
        'print(s.getsockname()[1], flush=True)',
        'time.sleep(60)',
      ].join('\n'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.teardown(() => child.kill('SIGKILL'))
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))))
  const fillers: net.Socket[] = []
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1')
    s.on('error', () => {})
    fillers.push(s)
  }
  await new Promise((r) => setTimeout(r, 200))
  t.teardown(() => fillers.forEach((s) => s.destroy()))
  const proxy = await startTestSidecar(`http://127.0.0.1:${port}`, ['--connect-timeout-ms', '300'])
  t.teardown(() => proxy.close())
  const res = await request(proxy.url + '/')
  t.equal(res.status, 504)
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans[0]!.attributes['error.type'], 'connect_timeout')
})

t.test('upstream stalling mid-body past the idle timeout: the response is cut and the span says idle_timeout', async (t) => {
  const upstream = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('first part')
  })
  const proxy = await startTestSidecar(upstream.url, ['--idle-timeout-ms', '300'])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  await t.rejects(request(proxy.url + '/'), 'the client sees a truncated response')
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans.length, 1)
  t.equal(spans[0]!.attributes['error.type'], 'idle_timeout')
  t.equal(spans[0]!.statusCode, 2)
})

t.test('upstream resetting mid-response: one ERROR span upstream_reset', async (t) => {
  const upstream = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('partial')
    setTimeout(() => res.socket?.destroy(), 20)
  })
  const proxy = await startTestSidecar(upstream.url)
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  await t.rejects(request(proxy.url + '/'))
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans.length, 1)
  t.equal(spans[0]!.statusCode, 2)
  t.match(spans[0]!.attributes['error.type'], /upstream_reset|upstream_protocol_error/)
})

/** Sends raw bytes and collects whatever comes back until the server closes. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(text))
    let out = ''
    s.on('data', (d) => (out += d.toString()))
    s.on('close', () => resolve(out))
    s.on('error', reject)
  })
}

t.test('request headers over the limit: 431 and an ERROR span', async (t) => {
  const upstream = await startHttpServer((_req, res) => res.end('ok'))
  const proxy = await startTestSidecar(upstream.url, ['--max-header-bytes', '2048'])
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  const port = (proxy.sidecar.inbound as AddressInfo).port
  const out = await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`)
  t.match(out, /^HTTP\/1\.1 431 /)
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans[0]!.attributes['error.type'], 'request_header_fields_too_large')
  t.equal(spans[0]!.attributes['http.response.status_code'], 431)
  t.equal(spans[0]!.statusCode, 2)
})

t.test('a malformed request: 400 and an ERROR span', async (t) => {
  const upstream = await startHttpServer((_req, res) => res.end('ok'))
  const proxy = await startTestSidecar(upstream.url)
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  const port = (proxy.sidecar.inbound as AddressInfo).port
  const out = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n')
  t.match(out, /^HTTP\/1\.1 400 /)
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans[0]!.attributes['error.type'], 'malformed_request')
  const noHost = await raw(port, 'GET / HTTP/1.1\r\n\r\n')
  t.match(noHost, /^HTTP\/1\.1 400 /, 'HTTP/1.1 without Host')
  const more = await onlySpanAfter(proxy, 1)
  t.equal(more[0]!.attributes['error.type'], 'missing_host')
})

/** Writes raw bytes without ending the request side, and collects the answer until the server closes. */
function rawKeptOpen(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(text))
    let out = ''
    s.on('data', (d) => (out += d.toString()))
    s.on('close', () => resolve(out))
    s.on('error', reject)
  })
}

t.test('a Transfer-Encoding that does not end in chunked: 400, connection closed, never forwarded', async (t) => {
  let forwarded = 0
  const upstream = await startHttpServer((req, res) => {
    forwarded++
    req.resume()
    res.end('ok')
  })
  const proxy = await startTestSidecar(upstream.url)
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  const port = (proxy.sidecar.inbound as AddressInfo).port
  const codings = ['xchunked', 'gzip', 'chunked, gzip', 'chunked;q=1']
  for (const [i, coding] of codings.entries()) {
    const out = await rawKeptOpen(port, `POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`)
    t.match(out, /^HTTP\/1\.1 400 /, `${coding}: answered 400`)
    t.match(out, /\r\nconnection: close\r\n/i, `${coding}: the connection is closed`)
    t.match(out, /tracecar: malformed_request: /)
    const spans = await onlySpanAfter(proxy, i)
    t.equal(spans.length, 1, `${coding}: one span`)
    t.equal(spans[0]!.attributes['error.type'], 'malformed_request')
    t.equal(spans[0]!.attributes['http.response.status_code'], 400)
    t.equal(spans[0]!.statusCode, 2)
  }
  t.equal(forwarded, 0, 'the service never saw them')
  const ok = await rawKeptOpen(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
  t.match(ok, /^HTTP\/1\.1 200 /, 'a final chunked coding is relayed')
})

t.test('a client that goes away mid-request: its span ends and the upstream request is aborted', async (t) => {
  let upstreamSawClose!: () => void
  const upstreamClosed = new Promise<void>((r) => (upstreamSawClose = r))
  const upstream = await startHttpServer((req, res) => {
    res.on('close', () => upstreamSawClose())
    req.resume()
  })
  const proxy = await startTestSidecar(upstream.url)
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  const port = (proxy.sidecar.inbound as AddressInfo).port
  const s = net.connect(port, '127.0.0.1')
  s.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'x'.repeat(1000))
  await new Promise((r) => setTimeout(r, 200))
  s.destroy()
  await upstreamClosed
  t.pass('the upstream request was aborted')
  const spans = await onlySpanAfter(proxy, 0)
  t.equal(spans.length, 1)
  t.equal(spans[0]!.attributes['error.type'], 'client_disconnected')
  t.equal(spans[0]!.statusCode, 2)
})

t.test('upstream errors are not ERROR on the server span for 4xx, but are for 5xx', async (t) => {
  const upstream = await startHttpServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 503
    res.end()
  })
  const proxy = await startTestSidecar(upstream.url)
  t.teardown(async () => {
    await proxy.close()
    await upstream.close()
  })
  await request(proxy.url + '/missing')
  await request(proxy.url + '/broken')
  await proxy.spans.waitFor(2)
  const [notFound, unavailable] = proxy.spans.spans
  t.equal(notFound!.statusCode, 0)
  t.equal(notFound!.attributes['error.type'], undefined)
  t.equal(unavailable!.statusCode, 2)
  t.equal(unavailable!.attributes['error.type'], '503')
})
