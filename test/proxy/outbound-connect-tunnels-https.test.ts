import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProxyAgent, request as undiciRequest } from 'undici'
import { startProxyProcess } from '../helpers/proxy-process.js'
import { hasOpenssl, makeSelfSignedCert } from '../helpers/self-signed-cert.js'
import { freePort, request } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

if (!hasOpenssl()) {
  t.skip('openssl is not installed: it makes the self-signed certificate of the local TLS server')
} else {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-connect-'))
  makeSelfSignedCert({ keyPath: join(dir, 'key.pem'), certPath: join(dir, 'cert.pem'), commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' })
  const cert = readFileSync(join(dir, 'cert.pem'))

  // Raw TCP byte counts as the TLS server saw them: what the tunnel must report.
  const raw: Array<{ read: number; written: number; closed: Promise<void> }> = []
  const tls = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    req.resume()
    req.on('end', () => res.end(`secret over TLS for ${req.url}: ${'x'.repeat(5000)}`))
  })
  tls.on('connection', (socket: net.Socket) => {
    const entry = { read: 0, written: 0, closed: Promise.resolve() }
    entry.closed = new Promise((resolve) =>
      socket.once('close', () => {
        entry.read = socket.bytesRead
        entry.written = socket.bytesWritten
        resolve()
      }),
    )
    raw.push(entry)
  })
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
  const tlsPort = (tls.address() as AddressInfo).port

  const sidecar = await startTestSidecar('http://127.0.0.1:1')
  const proxyPort = sidecar.sidecar.outbound!.forward.port
  t.teardown(async () => {
    await sidecar.close()
    await new Promise<void>((resolve) => {
      tls.close(() => resolve())
      tls.closeAllConnections()
    })
    rmSync(dir, { recursive: true, force: true })
  })

  t.test('HTTPS through the proxy (CONNECT) works and is one CLIENT span with host, port, duration and bytes each way', async (t) => {
    // undici's ProxyAgent tunnels https:// URLs with CONNECT, like every HTTPS_PROXY client.
    const agent = new ProxyAgent({ uri: `http://127.0.0.1:${proxyPort}`, requestTls: { ca: cert } })
    const before = sidecar.spans.spans.length
    const res = await undiciRequest(`https://127.0.0.1:${tlsPort}/private`, { dispatcher: agent, method: 'POST', body: 'y'.repeat(20_000) })
    const body = await res.body.text()
    t.equal(res.statusCode, 200)
    t.match(body, /^secret over TLS for \/private/)
    await agent.close()
    await sidecar.spans.waitFor(before + 1)
    await raw[raw.length - 1]!.closed
    const seen = raw[raw.length - 1]!
    const span = sidecar.spans.spans[before]!
    t.equal(span.kind, 3, 'CLIENT')
    t.equal(span.name, 'CONNECT')
    t.equal(span.attributes['http.request.method'], 'CONNECT')
    t.equal(span.attributes['server.address'], '127.0.0.1')
    t.equal(span.attributes['server.port'], tlsPort)
    t.equal(span.attributes['http.response.status_code'], 200)
    t.equal(span.attributes['url.full'], undefined, 'no URL: the path is inside TLS')
    t.equal(span.attributes['tracecar.upgrade.bytes_from_client'], seen.read, 'bytes to the destination = what the TLS server read')
    t.equal(span.attributes['tracecar.upgrade.bytes_to_client'], seen.written, 'bytes from the destination = what the TLS server wrote')
    t.ok(seen.read > 20_000 && seen.written > 5000, 'the counts are of the encrypted payload both ways')
    t.ok(span.endUnixMs > span.startUnixMs)
    t.same(
      span.events.map((e) => e.name),
      ['upstream.connection_ready', 'upstream.first_byte', 'response.finished'],
    )
    t.equal(span.attributes['tracecar.join.rule'], 'none')
  })

  t.test('CONNECT to a port nothing listens on: 502 and a span that says connection_refused', async (t) => {
    const port = await freePort()
    const before = sidecar.spans.spans.length
    const answer = await rawConnect(proxyPort, `127.0.0.1:${port}`)
    t.match(answer, /^HTTP\/1\.1 502 Bad Gateway/)
    t.match(answer, /tracecar: connection_refused/)
    await sidecar.spans.waitFor(before + 1)
    const span = sidecar.spans.spans[before]!
    t.equal(span.attributes['error.type'], 'connection_refused')
    t.equal(span.attributes['server.port'], port)
    t.equal(span.attributes['http.response.status_code'], 502)
  })

  t.test('a named route to an https:// upstream: the sidecar makes the TLS connection and the call is a full CLIENT span', async (t) => {
    // A real process, so that NODE_EXTRA_CA_CERTS makes it trust the test certificate.
    const proc = await startProxyProcess(
      ['--upstream', 'http://127.0.0.1:1', '--exporter', 'console', '--access-log=false', '--outbound-route', `vault=https://127.0.0.1:${tlsPort}@0`],
      { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
    )
    t.teardown(() => proc.stop())
    const port = Number(/route vault on [^:]+:(\d+)/.exec(proc.stderr())![1])
    const res = await request(`http://127.0.0.1:${port}/secrets/1?v=2`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
    t.equal(res.status, 200)
    t.match(res.body, /^secret over TLS for \/secrets\/1\?v=2/)
    let line: string | undefined
    for (let i = 0; i < 200 && line === undefined; i++) {
      line = proc
        .stderr()
        .split('\n')
        .find((l) => l.startsWith('{"traceId"'))
      if (line === undefined) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const span = JSON.parse(line!) as { traceId: string; parentSpanId: string; kind: number; attributes: Record<string, unknown> }
    t.equal(span.kind, 3)
    t.equal(span.traceId, '4bf92f3577b34da6a3ce929d0e0e4736')
    t.equal(span.parentSpanId, '00f067aa0ba902b7')
    t.equal(span.attributes['url.full'], `https://127.0.0.1:${tlsPort}/secrets/1`)
    t.equal(span.attributes['peer.service'], 'vault')
    t.equal(span.attributes['http.response.status_code'], 200)
  })

  t.test('a malformed CONNECT target is answered 400 with a span', async (t) => {
    const before = sidecar.spans.spans.length
    const answer = await rawConnect(proxyPort, 'no-port-here')
    t.match(answer, /^HTTP\/1\.1 400 Bad Request/)
    await sidecar.spans.waitFor(before + 1)
    t.equal(sidecar.spans.spans[before]!.attributes['error.type'], 'malformed_request')
  })
}

/** Sends `CONNECT target` on a raw socket and returns everything the proxy answered before closing. */
function rawConnect(proxyPort: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxyPort, '127.0.0.1', () => {
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`)
    })
    let text = ''
    socket.on('data', (d: Buffer) => (text += d.toString()))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
}
