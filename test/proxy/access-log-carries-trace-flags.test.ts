/**
 * The access log (JSON lines and OTLP log records) names a request's trace flags as
 * the traceparent the service saw does: a trace tracecar started has a random id
 * (W3C Level 2 flag 02) besides being sampled (01).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'
import type { LogRecordData, LogRecordExporter } from '../../src/export/otlp-log-record.js'
import { startSidecar } from '../../src/proxy/sidecar.js'
import { MemorySpanExporter } from '../../src/span/span-exporter.js'
import { request, startHttpServer } from '../helpers/servers.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

const seen: IncomingHttpHeaders[] = []
const upstream = await startHttpServer((req, res) => {
  seen.push(req.headers)
  res.end('ok')
})
const dir = mkdtempSync(join(tmpdir(), 'tracecar-trace-flags-'))
const file = join(dir, 'access.log')
const records: LogRecordData[] = []
const logExporter: LogRecordExporter = {
  export: (record) => void records.push(record),
  shutdown: async () => ({ exported: records.length, dropped: 0 }),
}
const config = loadProxyConfig({
  argv: [
    '--upstream',
    upstream.url,
    '--listen-host',
    '127.0.0.1',
    '--listen-port',
    '0',
    '--admin-port',
    '0',
    '--outbound-port',
    '0',
    '--access-log-destination',
    file,
  ],
  env: {},
})
const sidecar = await startSidecar(config, { exporter: new MemorySpanExporter(), logExporter })
t.teardown(async () => {
  await upstream.close()
  rmSync(dir, { recursive: true, force: true })
})

const url = `http://127.0.0.1:${sidecar.inbound.port}`
await request(`${url}/new`)
const started = seen[0]!.traceparent as string
await request(`${url}/joined`, { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } })
const joined = seen[1]!.traceparent as string
await request(`${url}/unsampled`, { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } })
await sidecar.shutdown()
const lines = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { path: string; trace_flags: string })
const line = (path: string) => lines.find((l) => l.path === path)!
const record = (path: string) => records.find((r) => r.attributes.path === path)!

t.test('a trace tracecar started: flags 03 in the access log, as on the traceparent it sent', async (t) => {
  t.match(started, /-03$/)
  t.equal(line('/new').trace_flags, '03')
  t.equal(record('/new').traceFlags, 0x03)
})

t.test("a caller's trace: its flags as forwarded, without the random bit it did not claim", async (t) => {
  t.match(joined, /-01$/)
  t.equal(line('/joined').trace_flags, '01')
  t.equal(record('/joined').traceFlags, 0x01)
  t.equal(line('/unsampled').trace_flags, '00')
  t.equal(record('/unsampled').traceFlags, 0)
})
