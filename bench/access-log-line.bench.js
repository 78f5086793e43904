#!/usr/bin/env node
// Micro-benchmark: CPU per access-log line (process.cpuUsage: all threads, so
// the thread pool's writes count too), over interleaved rounds.
//  - "line": building the line only, handed to a no-op stream: pino's
//    logger.info (the access log before src/proxy/access-log-line.ts: same
//    options, same logged object) against the fixed-field writer, also with
//    each line in a new millisecond (as at a steady 1,000 requests a second);
//  - "to /dev/null": the whole access log, timed until its file is closed:
//      pino logger.info, one sonic-boom write() per line (4 KiB minLength,
//      1 s periodic flush), as the access log was first;
//      "write() per line (before)": the fixed-field line, same sonic-boom
//      settings (src/proxy/access-log.ts before it formed its own blocks);
//      "64 KiB Buffers to sonic-boom": lines appended to a string, each 64 KiB
//      block encoded into a new Buffer and handed to sonic-boom (buffer mode)
//      with one write();
//      AccessLog (src/proxy/access-log.ts): lines appended to a string,
//      encoded into a reused block buffer, blocks written with fs.write; at
//      several block sizes and as shipped.
// Every row lets the event loop turn after each batch of lines (so the writes
// happen), so rows differ only by what they do per line. "write" is a row's
// cost above the fixed-field line's, from the medians and from the minimums
// (on a busy machine the minimum is the steadier figure: other load only adds).
// Runs the compiled dist/.
//   npx tsc -p tsconfig.json && node bench/access-log-line.bench.js [--lines 200000] [--batch 10] [--rounds 7]
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { AccessLog } from '../dist/proxy/access-log.js'
import { formatAccessLine } from '../dist/proxy/access-log-line.js'
import { Exchange } from '../dist/proxy/exchange.js'

const { values } = parseArgs({
  options: { lines: { type: 'string', default: '200000' }, batch: { type: 'string', default: '10' }, rounds: { type: 'string', default: '7' } },
})
const lineCount = Number(values.lines)
const batchSize = Number(values.batch)
const rounds = Number(values.rounds)
const DEST = '/dev/null'
const SERVICE = 'shop'

/** An exchange as the inbound proxy ends it for a plain GET. */
function exchange(i) {
  const start = Date.now() + Math.random()
  const ex = new Exchange(start)
  Object.assign(ex, {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    parentSpanId: i % 2 ? randomBytes(8).toString('hex') : '',
    sampled: true,
    requestId: i % 4 ? '' : randomBytes(8).toString('hex'),
    method: 'GET',
    path: `/users/${i}`,
    route: '/users/:id',
    statusCode: 200,
    upstreamConnectedUnixMs: start + 0.05,
    firstByteUnixMs: start + 3,
    endUnixMs: start + 3.25,
    requestBodyBytes: 0,
    responseBodyBytes: 1234,
    clientAddress: '10.1.2.3',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) curl/8.5.0',
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
        trace_id: ex.traceId,
        span_id: ex.spanId,
        parent_span_id: ex.parentSpanId === '' ? undefined : ex.parentSpanId,
        trace_flags: ex.sampled ? '01' : '00',
        request_id: ex.requestId === '' ? undefined : ex.requestId,
        kind: ex.kind === 3 ? 'outbound' : 'inbound',
        method: ex.method,
        path: ex.path,
        route: ex.route === '' ? undefined : ex.route,
        status: ex.statusCode,
        duration_ms: round3(ex.endUnixMs - start),
        upstream_connect_ms: ex.upstreamConnectedUnixMs === 0 ? undefined : round3(ex.upstreamConnectedUnixMs - start),
        upstream_first_byte_ms: ex.firstByteUnixMs === 0 ? undefined : round3(ex.firstByteUnixMs - start),
        bytes_in: ex.requestBodyBytes,
        bytes_out: ex.responseBodyBytes,
        client: ex.clientAddress,
        user_agent: ex.userAgent === '' ? undefined : ex.userAgent,
        error_type: ex.errorType === '' ? undefined : ex.errorType,
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

/**
 * The same, each line in a new millisecond, as at a steady 1,000 requests a second (the line's
 * time text is then made for every line, where a busy proxy's lines share their millisecond).
 */
class LineEachMillisecond extends LineOnly {
  nowMs = Date.now()
  onExchangeEnd(ex) {
    this.destination.write(formatAccessLine(ex, this.serviceName, ++this.nowMs))
  }
}

/** The access log before it formed its own blocks: one sonic-boom write() per line, sonic-boom's 4 KiB blocks. */
class WritePerLine extends LineOnly {
  close() {
    return new Promise((resolve) => {
      this.destination.flushSync()
      this.destination.once('close', resolve)
      this.destination.end()
    })
  }
}

/**
 * The alternative kept out of access-log.ts: the same 64 KiB blocks, each
 * encoded into a fresh Buffer and handed to sonic-boom (buffer mode) with one
 * write().
 */
class BlocksToSonicBoom {
  constructor(serviceName) {
    this.destination = pino.destination({ dest: DEST, sync: false, mkdir: false, contentMode: 'buffer', minLength: 0, maxLength: 16 << 20 })
    this.serviceName = serviceName
    this.pending = ''
  }
  onExchangeEnd(ex) {
    this.pending += formatAccessLine(ex, this.serviceName, Date.now())
    if (this.pending.length >= 65536) this.handOver()
  }
  handOver() {
    if (this.pending !== '') this.destination.write(Buffer.from(this.pending))
    this.pending = ''
  }
  close() {
    this.handOver()
    return new Promise((resolve) => {
      this.destination.once('close', resolve)
      this.destination.end()
    })
  }
}

function round3(ms) {
  return Math.round(ms * 1000) / 1000
}

/** Takes the lines and drops them. */
let droppedBytes = 0
const noopStream = () => ({ write: (s) => void (droppedBytes += s.length), flushSync() {}, once: (_event, f) => f(), end() {} })
const sonicBoom = () => pino.destination({ dest: DEST, sync: false, mkdir: false, minLength: 4096, periodicFlush: 1000 })

const BASELINE = 'fixed-field, line'
const candidates = {
  'pino logger.info, line': () => new PinoAccessLog(noopStream(), SERVICE),
  [BASELINE]: () => new LineOnly(noopStream(), SERVICE),
  'fixed-field, line, a new ms each': () => new LineEachMillisecond(noopStream(), SERVICE),
  'pino logger.info, to /dev/null': () => new PinoAccessLog(sonicBoom(), SERVICE),
  'write() per line (before), to /dev/null': () => new WritePerLine(sonicBoom(), SERVICE),
  '64 KiB Buffers to sonic-boom, to /dev/null': () => new BlocksToSonicBoom(SERVICE),
  'AccessLog, 4 KiB blocks, to /dev/null': () => new AccessLog(DEST, SERVICE, { blockBytes: 4 << 10 }),
  'AccessLog, 16 KiB blocks, to /dev/null': () => new AccessLog(DEST, SERVICE, { blockBytes: 16 << 10 }),
  'AccessLog, 64 KiB blocks, to /dev/null': () => new AccessLog(DEST, SERVICE, { blockBytes: 64 << 10 }),
  'AccessLog as shipped, to /dev/null': () => new AccessLog(DEST, SERVICE),
  'AccessLog, 256 KiB blocks, to /dev/null': () => new AccessLog(DEST, SERVICE, { blockBytes: 256 << 10 }),
}

const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}
const turn = () => new Promise((resolve) => setImmediate(resolve))
async function run(log, lines) {
  for (let i = 0; i < lines;) {
    for (const end = Math.min(lines, i + batchSize); i < end; i++) log.onExchangeEnd(exchanges[i & 1023])
    await turn()
  }
  await log.close()
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log(`${lineCount} lines, ${batchSize} per event-loop turn, ${rounds} rounds, node ${process.version}; CPU time per line`)
for (const open of Object.values(candidates)) await run(open(), 20_000) // warm-up
const samples = Object.fromEntries(Object.keys(candidates).map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  for (const [name, open] of Object.entries(candidates)) {
    const log = open()
    const t0 = cpuUs()
    await run(log, lineCount)
    samples[name].push((cpuUs() - t0) / lineCount)
  }
}
const base = median(samples[BASELINE])
const baseMin = Math.min(...samples[BASELINE])
const us = (x) => `${x.toFixed(2)} µs`.padStart(8)
console.log(`${'row'.padEnd(42)} ${'median'.padStart(8)} ${'min'.padStart(8)}   write: median, min`)
for (const [name, xs] of Object.entries(samples)) {
  const [m, min] = [median(xs), Math.min(...xs)]
  const write = name.startsWith('pino') || name.startsWith(BASELINE) ? '' : `${us(m - base)} ${us(min - baseMin)}`
  console.log(`${name.padEnd(42)} ${us(m)} ${us(min)}   ${write}`)
}
