/**
 * The API and UI server (:16686) sends headers that forbid framing and type
 * sniffing and keep trace URLs out of Referer, and answers only Host names
 * it listens as (IP addresses, localhost, --host, --allowed-hosts): a page
 * whose DNS name was re-pointed at the collector (DNS rebinding) gets 403.
 */
import t from 'tap'
import { request } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestCollector } from './helpers.js'
import { parseCollectorFlags } from '../../src/cli/collector-command.js'
import { hostCheck } from '../../src/collector/http/allowed-hosts.js'

const uiDir = mkdtempSync(join(tmpdir(), 'tracecar-ui-'))
writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>tracecar</title>')
t.teardown(() => rmSync(uiDir, { recursive: true, force: true }))

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** GET with an explicit Host header (fetch would send the URL's). */
function get(port: number, path: string, host: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('UI and API answers forbid framing and sniffing and send no referrer', async (t) => {
  const collector = await startTestCollector({ uiDir })
  t.teardown(() => collector.close())
  const port = collector.collector.ports.http
  for (const path of ['/', '/trace/0123456789abcdef0123456789abcdef', '/api/services', '/api/nothing']) {
    const answer = await get(port, path, `127.0.0.1:${port}`)
    t.match(answer.headers['content-security-policy'], /frame-ancestors 'none'/, `${path}: CSP header forbids framing`)
    t.match(answer.headers['content-security-policy'], /script-src 'self'/, `${path}: and keeps the UI's policy`)
    t.equal(answer.headers['x-content-type-options'], 'nosniff', path)
    t.equal(answer.headers['referrer-policy'], 'no-referrer', path)
  }
})

t.test('a Host the collector does not listen as is refused; IP addresses and localhost are not', async (t) => {
  const collector = await startTestCollector({ uiDir })
  t.teardown(() => collector.close())
  const port = collector.collector.ports.http
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `app.localhost:${port}`, `[::1]:${port}`, '10.0.0.7:16686', 'localhost.']) {
    t.equal((await get(port, '/api/services', host)).status, 200, host)
  }
  for (const path of ['/api/services', '/', '/api/jaeger/api/services']) {
    const refused = await get(port, path, `rebind.attacker.example:${port}`)
    t.equal(refused.status, 403, path)
    t.match(JSON.parse(refused.body).error, /not a name this collector answers to.*--allowed-hosts/)
    t.equal(refused.headers['x-content-type-options'], 'nosniff')
  }
})

t.test('--allowed-hosts names more hosts, or any', async (t) => {
  const listed = await startTestCollector({ allowedHosts: ['tracecar.example.com', 'Collector'] })
  t.teardown(() => listed.close())
  const port = listed.collector.ports.http
  t.equal((await get(port, '/api/services', 'tracecar.example.com')).status, 200)
  t.equal((await get(port, '/api/services', 'collector:16686')).status, 200, 'case-insensitive, any port')
  t.equal((await get(port, '/api/services', 'other.example.com')).status, 403)

  const open = await startTestCollector({ allowedHosts: 'any' })
  t.teardown(() => open.close())
  t.equal((await get(open.collector.ports.http, '/api/services', 'other.example.com')).status, 200)

  const options = parseCollectorFlags(['--allowed-hosts', 'grafana.example.com, tracecar-collector', '--allowed-hosts', 'tracecar-collector.tracecar.svc'])
  t.not(options, 'help')
  if (options !== 'help') t.same(options.allowedHosts, ['grafana.example.com', 'tracecar-collector', 'tracecar-collector.tracecar.svc'])
  const any = parseCollectorFlags(['--allowed-hosts', 'any'])
  if (any !== 'help') t.equal(any.allowedHosts, 'any')
})

t.test('listening on all interfaces, the machine is still reached by its addresses', async (t) => {
  const collector = await startTestCollector({ host: '0.0.0.0' })
  t.teardown(() => collector.close())
  const port = collector.collector.ports.http
  t.equal((await get(port, '/api/services', `127.0.0.1:${port}`)).status, 200)
  t.equal((await get(port, '/api/services', `192.168.1.20:${port}`)).status, 200)
  t.equal((await get(port, '/api/services', `evil.example:${port}`)).status, 403)
})

t.test('a collector listening on a host name answers to that name', async (t) => {
  const check = hostCheck('tracecar.internal')
  t.ok(check.allows('tracecar.internal:16686'))
  t.ok(check.allows('TRACECAR.INTERNAL'))
  t.notOk(check.allows('tracecar.internal.attacker.example'))
  t.ok(hostCheck('::1').allows('[::1]:16686'))
})
