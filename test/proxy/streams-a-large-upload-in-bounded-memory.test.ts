import t from 'tap'
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { startHttpServer } from '../helpers/servers.js'
import { startProxyProcess } from '../helpers/proxy-process.js'

// 1 GiB through a real proxy process; its peak RSS (VmHWM) must not follow the size.
const TOTAL = 1024 * 1024 * 1024
const CHUNK = Buffer.alloc(1024 * 1024, 0x61)

const DOWNLOAD = 256 * 1024 * 1024

let received = 0
const upstream = await startHttpServer((req, res) => {
  if (req.url === '/download') {
    // As fast as the proxy takes it: only backpressure from the slow client can hold it.
    res.writeHead(200, { 'content-length': String(DOWNLOAD) })
    let sent = 0
    const pump = (): void => {
      while (sent < DOWNLOAD) {
        sent += CHUNK.length
        if (!res.write(CHUNK)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    pump()
    return
  }
  req.on('data', (c: Buffer) => (received += c.length))
  req.on('end', () => res.end(String(received)))
})
const proxy = await startProxyProcess(['--upstream', upstream.url, '--exporter', 'none', '--access-log=false'])
t.teardown(async () => {
  await proxy.stop()
  await upstream.close()
})

function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1])
  return kb * 1024
}

t.test('a 1 GiB upload streams through without growing the proxy', async (t) => {
  const before = peakRssBytes(proxy.pid)
  const reply = await new Promise<string>((resolve, reject) => {
    const req = http.request(`${proxy.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': String(TOTAL) } }, (res) => {
      let text = ''
      res.on('data', (d) => (text += d))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    let sent = 0
    const pump = (): void => {
      while (sent < TOTAL) {
        sent += CHUNK.length
        if (!req.write(CHUNK)) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
  t.equal(Number(reply), TOTAL, 'the upstream received every byte')
  const peak = peakRssBytes(proxy.pid)
  t.ok(
    peak - before < 96 * 1024 * 1024,
    `peak RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB (before ${(before / 1048576).toFixed(1)} MiB) for 1024 MiB sent`,
  )
})

t.test('a 256 MiB download to a client that reads slowly is held back, not buffered in the proxy', async (t) => {
  const before = peakRssBytes(proxy.pid)
  const got = await new Promise<number>((resolve, reject) => {
    http
      .get(`${proxy.url}/download`, { agent: false }, (res) => {
        let bytes = 0
        // Read in bursts with pauses, so the proxy's socket to the client fills up again and again.
        res.on('data', (d: Buffer) => {
          bytes += d.length
          if (bytes % (8 * 1024 * 1024) < d.length) {
            res.pause()
            setTimeout(() => res.resume(), 100)
          }
        })
        res.on('end', () => resolve(bytes))
        res.on('error', reject)
      })
      .on('error', reject)
  })
  t.equal(got, DOWNLOAD, 'the client received every byte')
  const peak = peakRssBytes(proxy.pid)
  t.ok(
    peak - before < 96 * 1024 * 1024,
    `peak RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB (before ${(before / 1048576).toFixed(1)} MiB) for 256 MiB received`,
  )
})
