import t from 'tap'
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { startHttpServer } from '../helpers/servers.js'
import { startProxyProcess } from '../helpers/proxy-process.js'

// 1 GiB through a real proxy process; its peak RSS (VmHWM) must not follow the size.
const TOTAL = 1024 * 1024 * 1024
const CHUNK = Buffer.alloc(1024 * 1024, 0x61)

let received = 0
const upstream = await startHttpServer((req, res) => {
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
  t.ok(peak - before < 96 * 1024 * 1024, `peak RSS grew by ${((peak - before) / 1048576).toFixed(1)} MiB (before ${(before / 1048576).toFixed(1)} MiB) for 1024 MiB sent`)
})
