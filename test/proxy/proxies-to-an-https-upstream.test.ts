import t from 'tap'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProxyProcess } from '../helpers/proxy-process.js'
import { request } from '../helpers/servers.js'
import { hasOpenssl, makeSelfSignedCert } from '../helpers/self-signed-cert.js'

// A service that only speaks TLS behind its sidecar (`--upstream https://...`):
// the sidecar's own connections to it, reused, carry whole bodies both ways,
// however many TLS records and socket reads a response takes.

const HUGE_PIECES = 512
const HUGE_PIECE_BYTES = 64 * 1024

if (!hasOpenssl()) {
  t.skip('openssl is not installed: it makes the self-signed certificate of the local TLS server')
} else {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-https-upstream-'))
  makeSelfSignedCert({ keyPath: join(dir, 'key.pem'), certPath: join(dir, 'cert.pem'), commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' })

  /** 200 KB of distinct ASCII, written in pieces: a response the sidecar reads in many pieces too. */
  const big = Array.from({ length: 40_000 }, (_, i) => i.toString(36)).join(',')
  /** 32 MiB in 64 KiB pieces, the bytes of piece k all k % 251, written as fast as the socket takes them. */
  const writeHuge = async (res: http.ServerResponse): Promise<void> => {
    for (let k = 0; k < HUGE_PIECES; k++) {
      if (!res.write(Buffer.alloc(HUGE_PIECE_BYTES, k % 251))) await once(res, 'drain')
    }
    res.end()
    hugeWrittenAt = performance.now()
  }
  let hugeWrittenAt = 0
  let connections = 0
  const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url === '/huge') void writeHuge(res)
      else if (req.url === '/big') {
        for (let at = 0; at < big.length; at += 7_000) res.write(big.slice(at, at + 7_000))
        res.end()
      } else res.end(`${req.method} ${req.url} over TLS: ${Buffer.concat(chunks).toString()}`)
    })
  })
  server.on('secureConnection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  // A real process, so that NODE_EXTRA_CA_CERTS makes it trust the test certificate.
  const proc = await startProxyProcess(['--upstream', `https://127.0.0.1:${port}`, '--exporter', 'console', '--access-log=false'], {
    NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
  })
  t.teardown(async () => {
    await proc.stop()
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    rmSync(dir, { recursive: true, force: true })
  })

  t.test('requests and their bodies reach the service over TLS, and its answers come back whole', async (t) => {
    const small = await request(`${proc.url}/hello?x=1`)
    t.equal(small.status, 200)
    t.equal(small.body, 'GET /hello?x=1 over TLS: ')

    const upload = 'u'.repeat(100_000)
    const echoed = await request(`${proc.url}/upload`, { method: 'POST', body: upload })
    t.equal(echoed.status, 200)
    t.equal(echoed.body, `POST /upload over TLS: ${upload}`)

    for (let i = 0; i < 3; i++) {
      const res = await request(`${proc.url}/big`)
      t.equal(res.status, 200)
      t.equal(res.body.length, big.length)
      t.ok(res.body === big, `a 200 KB response, byte for byte (${i + 1})`)
    }
  })

  t.test('one TLS connection carries the requests one after another', async (t) => {
    const before = connections
    for (let i = 0; i < 5; i++) t.equal((await request(`${proc.url}/again/${i}`)).body, `GET /again/${i} over TLS: `)
    t.equal(connections - before, 0, 'no new TLS connection: the one from before is reused')
  })

  t.test('a client slower than the service: 32 MiB arrive whole, and the TLS connection serves the next request', async (t) => {
    const before = connections
    let resumedAt = 0
    const body = await new Promise<Buffer>((resolve, reject) => {
      http
        .get(`${proc.url}/huge`, { agent: false }, (res) => {
          const chunks: Buffer[] = []
          // Not reading for a while: the sidecar's writes to this client back up and it must stop reading the service.
          res.pause()
          setTimeout(() => {
            resumedAt = performance.now()
            res.resume()
          }, 500)
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => resolve(Buffer.concat(chunks)))
          res.on('error', reject)
        })
        .on('error', reject)
    })
    t.equal(body.length, HUGE_PIECES * HUGE_PIECE_BYTES)
    let wrong = -1
    for (let i = 0; i < body.length && wrong === -1; i++) if (body[i] !== Math.floor(i / HUGE_PIECE_BYTES) % 251) wrong = i
    t.equal(wrong, -1, 'every byte where the service wrote it')
    t.ok(hugeWrittenAt > resumedAt, 'the service could not write it all before the client read again: the sidecar stopped reading it')
    t.equal((await request(`${proc.url}/after`)).body, 'GET /after over TLS: ')
    t.equal(connections - before, 0, 'the connection paused for the slow client was reused')
  })

  t.test('each request is a span whose status and target are those of the TLS exchange', async (t) => {
    await request(`${proc.url}/spanned`)
    let line: string | undefined
    for (let i = 0; i < 200 && line === undefined; i++) {
      line = proc
        .stderr()
        .split('\n')
        .find((l) => l.startsWith('{"traceId"') && l.includes('/spanned'))
      if (line === undefined) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    t.ok(line, 'the span was exported')
    const span = JSON.parse(line!) as { kind: number; attributes: Record<string, unknown> }
    t.equal(span.kind, 2, 'SERVER')
    t.equal(span.attributes['http.response.status_code'], 200)
    t.equal(span.attributes['url.path'], '/spanned')
  })
}
