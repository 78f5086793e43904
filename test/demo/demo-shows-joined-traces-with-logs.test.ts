import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { SLOW_PAYMENTS_MS } from '../../src/demo/example-traces.js'
import { spawnTracecar } from '../helpers/proxy-process.js'

// `npm start` is the first thing a new user runs: it must bring up the collector,
// the four services behind sidecars and traffic, and the traces it points at must
// be whole (every hop joined, although the services forward no trace context)
// with the services' own access-log lines beside them.

interface SpanJson {
  spanId: string
  parentSpanId: string | null
  service: string
  kind: string
  name: string
  durationMs: number
}

t.test('the demo serves whole traces, their logs and the UI, prints a tracecar load command that works, and stops cleanly on Ctrl-C', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracecar-demo-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const child = spawnTracecar([
    'demo',
    '--rate',
    '20',
    '--data-dir',
    dataDir,
    '--http-port',
    '0',
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    '0',
    '--entry-port',
    '0',
  ])
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const slowTraceUrl = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /a slow trace \(\d+ ms, \d+ ms of it in payments\): (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    void exited.then((code) => reject(new Error(`the demo exited with ${code}:\n${out}\n${err}`)))
    setTimeout(() => reject(new Error(`no slow trace printed within 120 s:\n${out}\n${err}`)), 120_000).unref()
  })
  const ui = /open the UI: (http:\/\/\S+)\//.exec(out)?.[1]
  t.ok(ui, 'the UI address is printed')
  t.ok(slowTraceUrl.startsWith(`${ui}/trace/`), 'the slow trace link opens in the UI')
  const traceId = slowTraceUrl.slice(`${ui}/trace/`.length)

  const page = await fetch(slowTraceUrl)
  t.equal(page.status, 200, 'the trace link serves the UI page (deep link)')
  t.match(await page.text(), /<html/i)

  const trace = (await (await fetch(`${ui}/api/traces/${traceId}`)).json()) as { spans: SpanJson[]; warnings: string[] }
  t.same(trace.warnings, [], 'no broken parent links')
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]))
  const roots = trace.spans.filter((s) => s.parentSpanId === null)
  t.equal(roots.length, 1, 'one root')
  t.match(roots[0], { service: 'frontend', kind: 'SERVER', name: 'GET /buy' })
  t.same([...new Set(trace.spans.map((s) => s.service))].sort(), ['checkout', 'frontend', 'inventory', 'payments'], 'every service is in the trace')
  for (const span of trace.spans) {
    if (span.kind !== 'SERVER' || span.parentSpanId === null) continue
    const parent = byId.get(span.parentSpanId)
    t.equal(parent?.kind, 'CLIENT', `${span.service} ${span.name} is the child of its caller's CLIENT span`)
    t.not(parent?.service, span.service, `${span.service} is called by another service`)
  }
  const payments = trace.spans.find((s) => s.service === 'payments' && s.kind === 'SERVER')
  t.ok(payments!.durationMs >= SLOW_PAYMENTS_MS, `payments took its slow path (${payments!.durationMs} ms), not just a slow warm-up`)
  t.equal(trace.spans.filter((s) => s.kind === 'CLIENT').length, 3, 'three outbound calls: frontend→checkout, checkout→inventory, checkout→payments')

  // Log lines arrive within a second of the request; give them a few.
  let logs: Array<{ body: string; service: string }> = []
  for (let i = 0; i < 20 && logs.length < 4; i++) {
    logs = ((await (await fetch(`${ui}/api/traces/${traceId}/logs`)).json()) as { logs: typeof logs }).logs
    if (logs.length < 4) await new Promise((r) => setTimeout(r, 500))
  }
  t.same(
    [...new Set(logs.map((l) => l.service))].sort(),
    ['checkout', 'frontend', 'inventory', 'payments'],
    "each service's access-log line is linked to the trace",
  )
  t.ok(
    logs.every((l) => l.body.includes(`trace_id=${traceId}`)),
    'linked by the trace id the service printed, nothing else',
  )

  // The `tracecar load` command the demo prints is ready to paste: frontend's sidecar and this collector.
  const frontendSidecar = /frontend \(sidecar (http:\/\/\S+)\)/.exec(out)?.[1]
  t.ok(frontendSidecar, "frontend's sidecar address is printed")
  const command = /load test it, each request its own trace: (.+)\n/.exec(out)?.[1]
  t.equal(command, `npx tracecar load ${frontendSidecar}/buy -c 10 -d 30 --collector ${ui}`)
  await t.test('the printed tracecar load command, with a shorter duration, reports from the demo', async (t) => {
    const args = command!.split(' ')
    t.same(args.slice(0, 3), ['npx', 'tracecar', 'load'])
    const duration = args.indexOf('-d')
    args[duration + 1] = '3'
    const load = spawnTracecar(args.slice(2))
    let loadOut = ''
    let loadErr = ''
    load.stdout!.on('data', (d: Buffer) => (loadOut += d.toString()))
    load.stderr!.on('data', (d: Buffer) => (loadErr += d.toString()))
    t.equal(await new Promise((resolve) => load.once('exit', resolve)), 0, `exit 0\n${loadErr.slice(-1500)}`)
    t.match(loadOut, /tracecar load run-[0-9a-f]{12}: \d+ responses/)
    t.notMatch(loadOut, /trace report missing/, 'the collector was found')
    t.match(loadOut, new RegExp(`all traces of this run: ${ui}/search\\?tracestate=tracecar%3Drun-`))
    t.match(loadOut, /slowest \d+ requests:/)
    t.notMatch(loadOut, /trace not in the collector/, 'every one of the slowest explained by its trace')
    t.match(loadOut, /where the slowest requests spent their time/)
  })

  child.kill('SIGINT')
  t.equal(await exited, 0, 'Ctrl-C exits 0')
  t.match(err, /stopping/)
})
