import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { parseLoadOptions } from '../../src/load/load-options.js'
import { runLoad } from '../../src/load/run-load.js'
import { newRunId } from '../../src/load/run-trace-context.js'
import { parseTraceparent } from '../../src/trace-context/traceparent.js'
import { startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

// The pairing of each response with the trace it was sent under is the heart of
// the report. A tracecar sidecar answers with `traceresponse`, which names the
// trace independently: every pairing must agree with it, also with pipelining.
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() })

t.test('pipelined requests: every response paired with its own trace, each a new sampled trace tagged with the run', async (t) => {
  // Also the request options: method, a body from a file, an extra header.
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-load-body-'))
  const bodyFile = join(dir, 'order.json')
  writeFileSync(bodyFile, '{"sku":"tc-1","qty":2}')
  const received: string[] = []
  const upstream = await startHttpServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push(`${req.method} ${req.headers['x-tenant']} ${body}`)
      res.end('ok')
    })
  })
  const sidecar = await startTestSidecar(upstream.url)
  t.teardown(async () => {
    await sidecar.close()
    await upstream.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const runId = newRunId()
  // --slowest 1000 keeps every outcome, so each pairing can be checked against the sidecar's spans.
  const options = parseLoadOptions([
    `${sidecar.url}/items`,
    '-c',
    '2',
    '-p',
    '4',
    '-a',
    '400',
    '--slowest',
    '1000',
    '-H',
    'tracestate: vendor=x1',
    '-m',
    'POST',
    '-b',
    `@${bodyFile}`,
    '-H',
    'x-tenant: 7',
  ])
  const run = await runLoad(options, runId, { progress: quiet })

  // autocannon stops a connection once it has *sent* its share, dropping the few
  // pipelined answers still on the way: those are cut off, neither responses nor errors.
  const answered = run.result.requests.total
  t.ok(answered > 380 && answered <= 400, `${answered} answered`)
  t.equal(run.outcomes.recorded, answered)
  t.equal(answered + run.outcomes.cutOff, 400, `${run.outcomes.cutOff} cut off: every request sent is answered or cut off`)
  t.equal(run.outcomes.errorCount, 0)
  t.equal(run.outcomes.unmatched, 0)
  t.equal(run.outcomes.traceresponseSeen, answered)
  t.equal(run.outcomes.traceresponseMismatches, 0, 'the per-connection FIFO agreed with the sidecar every time')

  await sidecar.spans.waitFor(answered)
  const spans = sidecar.spans.spans
  const byTrace = new Map(spans.map((s) => [s.traceId, s]))
  t.equal(byTrace.size, spans.length, 'a new trace per request')
  t.equal(run.outcomes.slowest.length, answered)
  t.ok(
    run.outcomes.slowest.every((o) => byTrace.get(o.traceId)?.parentSpanId === o.spanId),
    'each response paired with the trace and span id it was sent under',
  )
  t.ok(
    spans.every((s) => s.traceState === `tracecar=${runId},vendor=x1`),
    "the run's tracestate member first, then the user's",
  )
  t.ok(
    spans.every((s) => (s.traceFlags & 1) === 1),
    'sampled',
  )
  t.ok(received.length >= answered && received.every((r) => r === 'POST 7 {"sku":"tc-1","qty":2}'), 'method, header and body as asked')
})

t.test('a request that never gets an answer is listed as a timeout under its own trace', async (t) => {
  let served = 0
  let hungTraceId = ''
  const upstream = await startHttpServer((req, res) => {
    if (++served === 5) {
      hungTraceId = parseTraceparent(String(req.headers.traceparent))!.traceId
      return // never answered
    }
    res.end('ok')
  })
  t.teardown(() => upstream.close())
  const options = parseLoadOptions([`${upstream.url}/`, '-c', '1', '-a', '10', '--timeout', '1'])
  const run = await runLoad(options, newRunId(), { progress: quiet })

  t.equal(run.result.timeouts, 1, 'autocannon counted one timeout')
  t.same(run.outcomes.errorsByStatus, { timeout: 1 })
  const [timedOut] = run.outcomes.errorsListed
  t.equal(timedOut?.traceId, hungTraceId, 'listed under the trace the service saw')
  t.equal(timedOut?.status, null)
  t.equal(timedOut?.failure, 'timeout')
  t.ok(timedOut!.latencyMs >= 900, `waited ${timedOut!.latencyMs} ms`)
  t.equal(run.outcomes.unmatched, 0)
  t.equal(run.outcomes.recorded, run.result.requests.total + 1, 'every answered request plus the timeout')
})
