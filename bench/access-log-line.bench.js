#!/usr/bin/env node
// Micro-benchmark: CPU per access-log line, pino's logger.info (the access log
// before src/proxy/access-log-line.ts: same options, same logged object)
// against the fixed-field writer. Two figures each:
//  - "line": building the line only, handed to a no-op stream;
//  - "to /dev/null": the whole access log, writing through pino.destination
//    (sonic-boom: asynchronous, 4 KiB blocks, 1 s periodic flush) a batch of
//    lines per event-loop turn, timed until the destination has closed, so
//    sonic-boom's own work and the writes count too.
// Runs the compiled dist/.
//   npm run build && node bench/access-log-line.bench.js [--lines 200000] [--batch 10]
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { AccessLog } from '../dist/proxy/access-log.js'
import { formatAccessLine } from '../dist/proxy/access-log-line.js'
import { Exchange } from '../dist/proxy/exchange.js'

const { values } = parseArgs({ options: { lines: { type: 'string', default: '200000' }, batch: { type: 'string', default: '10' } } })
const lineCount = Number(values.lines)
const batchSize = Number(values.batch)
const DEST = '/dev/null'
const SERVICE = 'shop'

/** An exchange as the inbound proxy ends it for a plain GET. */
function exchange(i) {
  const start = Date.now() + Math.random()
  const ex = new Exchange(start)
  Object.assign(ex, {
    traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), parentSpanId: i % 2 ? randomBytes(8).toString('hex') : '',
    sampled: true, requestId: i % 4 ? '' : randomBytes(8).toString('hex'), method: 'GET', path: `/users/${i}`, route: '/users/:id',
    statusCode: 200, upstreamConnectedUnixMs: start + 0.05, firstByteUnixMs: start + 3, endUnixMs: start + 3.25,
    requestBodyBytes: 0, responseBodyBytes: 1234, clientAddress: '10.1.2.3', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) curl/8.5.0',
  })
  return ex
}
const exchanges = Array.from({ length: 1024 }, (_, i) => exchange(i))

/** The pino-based access log as it was (src/proxy/access-log.ts before the fixed-field writer). */
class PinoAccessLog {
  constructor(destination, serviceName) {
    let lastTimeMs = 0
    let lastTimeField = ''
    const cachedIsoTime = () => {
      const now = Date.now()
      if (now !== lastTimeMs) {
        lastTimeMs = now
        lastTimeField = `,"time":"${new Date(now).toISOString()}"`
      }
      return lastTimeField
    }
    this.destination = destination
    this.logger = pino(
      { base: { service: serviceName }, timestamp: cachedIsoTime, messageKey: 'msg', formatters: { level: (label) => ({ level: label }) } },
      this.destination,
    )
  }
  onExchangeEnd(ex) {
    const start = ex.startUnixMs
    this.logger.info(
      {
        trace_id: ex.traceId, span_id: ex.spanId, parent_span_id: ex.parentSpanId === '' ? undefined : ex.parentSpanId,
        trace_flags: ex.sampled ? '01' : '00', request_id: ex.requestId === '' ? undefined : ex.requestId,
        kind: ex.kind === 3 ? 'outbound' : 'inbound', method: ex.method, path: ex.path, route: ex.route === '' ? undefined : ex.route,
        status: ex.statusCode, duration_ms: round3(ex.endUnixMs - start),
        upstream_connect_ms: ex.upstreamConnectedUnixMs === 0 ? undefined : round3(ex.upstreamConnectedUnixMs - start),
        upstream_first_byte_ms: ex.firstByteUnixMs === 0 ? undefined : round3(ex.firstByteUnixMs - start),
        bytes_in: ex.requestBodyBytes, bytes_out: ex.responseBodyBytes, client: ex.clientAddress,
        user_agent: ex.userAgent === '' ? undefined : ex.userAgent, error_type: ex.errorType === '' ? undefined : ex.errorType,
      },
      ex.upgraded ? 'upgrade' : 'request',
    )
  }
  close() {
    return new Promise((resolve) => {
      this.destination.flushSync()
      this.destination.once('close', resolve)
      this.destination.end()
    })
  }
}

/** The fixed-field writer into any destination (AccessLog itself opens its own). */
class LineOnly {
  constructor(destination, serviceName) {
    this.destination = destination
    this.serviceName = serviceName
  }
  onExchangeEnd(ex) {
    this.destination.write(formatAccessLine(ex, this.serviceName, Date.now()))
  }
  close() {
    return Promise.resolve()
  }
}

function round3(ms) {
  return Math.round(ms * 1000) / 1000
}

/** Takes the lines and drops them. */
let droppedBytes = 0
const noopStream = () => ({ write: (s) => void (droppedBytes += s.length), flushSync() {}, once: (_event, f) => f(), end() {} })
const sonicBoom = () => pino.destination({ dest: DEST, sync: false, mkdir: false, minLength: 4096, periodicFlush: 1000 })

// [open, whether to let the event loop turn between batches (so sonic-boom writes)]
const candidates = {
  'pino logger.info, line': [() => new PinoAccessLog(noopStream(), SERVICE), false],
  'fixed-field, line': [() => new LineOnly(noopStream(), SERVICE), false],
  'pino logger.info, to /dev/null': [() => new PinoAccessLog(sonicBoom(), SERVICE), true],
  'fixed-field (AccessLog), to /dev/null': [() => new AccessLog(DEST, SERVICE), true],
}

// CPU time (getrusage: all threads, so the writes are counted), not wall time.
const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const turn = () => new Promise((resolve) => setImmediate(resolve))
async function run(log, lines, yields) {
  for (let i = 0; i < lines; ) {
    for (const end = Math.min(lines, i + batchSize); i < end; i++) log.onExchangeEnd(exchanges[i & 1023])
    if (yields) await turn()
  }
  await log.close()
}

console.log(`${lineCount} lines, ${batchSize} per event-loop turn, node ${process.version}; CPU time per line`)
for (const [open, yields] of Object.values(candidates)) await run(open(), 20_000, yields) // warm-up
for (let repeat = 0; repeat < 3; repeat++) {
  for (const [name, [open, yields]] of Object.entries(candidates)) {
    const log = open()
    const t0 = cpuUs()
    await run(log, lineCount, yields)
    const us = cpuUs() - t0
    console.log(`${name.padEnd(40)} ${(us / lineCount).toFixed(2)} µs/line`)
  }
}
