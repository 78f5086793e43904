import t from 'tap'
import type { Test } from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, constants, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import pino from 'pino'
import { AccessLog } from '../../src/proxy/access-log.js'
import { formatAccessLine, millisText } from '../../src/proxy/access-log-line.js'
import { Exchange } from '../../src/proxy/exchange.js'
import { SpanKind } from '../../src/span/span-record.js'
import { SeededPrng } from '../helpers/seeded-prng.js'

const NOW = Date.UTC(2025, 4, 6, 7, 8, 9, 123)
const START = NOW - 42.123456

/**
 * The line as pino wrote it before the fixed-field writer: the logger options
 * and the logged object of the pino-based access log, into a string.
 */
function pinoLine(ex: Exchange, service: string, nowMs: number): string {
  let out = ''
  const logger = pino(
    {
      base: { service },
      timestamp: () => `,"time":"${new Date(nowMs).toISOString()}"`,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (s: string) => void (out += s) },
  )
  const start = ex.startUnixMs
  logger.info(
    {
      trace_id: ex.traceId,
      span_id: ex.spanId,
      parent_span_id: ex.parentSpanId === '' ? undefined : ex.parentSpanId,
      // The W3C flags byte as written on the traceparent (pino's log wrote 01/00 from `sampled`).
      trace_flags: (ex.traceFlags & 3).toString(16).padStart(2, '0'),
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
  return out
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}

/** A sampled inbound GET with every optional field set. */
function exchange(fields: Partial<Exchange> = {}): Exchange {
  const ex = new Exchange(START)
  Object.assign(ex, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: 'a3ce929d0e0e4736',
    sampled: true,
    traceFlags: 1,
    requestId: 'req-7f3a',
    method: 'GET',
    path: '/users/42',
    route: '/users/:id',
    statusCode: 200,
    upstreamConnectedUnixMs: START + 1.2345678,
    firstByteUnixMs: START + 30.0004999,
    endUnixMs: NOW,
    requestBodyBytes: 0,
    responseBodyBytes: 1234,
    clientAddress: '10.1.2.3',
    userAgent: 'curl/8.5.0',
    ...fields,
  })
  return ex
}

const cases: Array<[string, Exchange]> = [
  ['a normal inbound request', exchange()],
  ['an outbound request', exchange({ kind: SpanKind.CLIENT, method: 'POST', path: '/orders', route: '', requestBodyBytes: 512, statusCode: 201 })],
  ['an upgrade', exchange({ upgraded: true, statusCode: 101, path: '/ws', route: '', requestBodyBytes: 90, responseBodyBytes: 4096 })],
  ['a failed request', exchange({ statusCode: 502, errorType: 'ECONNREFUSED', upstreamConnectedUnixMs: 0, firstByteUnixMs: 0, responseBodyBytes: 0 })],
  [
    'a request with every optional field absent',
    exchange({ parentSpanId: '', requestId: '', route: '', upstreamConnectedUnixMs: 0, firstByteUnixMs: 0, userAgent: '', sampled: false, traceFlags: 0 }),
  ],
  ['a trace tracecar started (sampled, random trace id), whatever reserved bits', exchange({ parentSpanId: '', traceFlags: 0x83 })],
  [
    'strings pino escapes (quote, backslash, control characters) and strings it leaves raw (U+2028, emoji)',
    exchange({ path: '/a"b\\c\nd\te\u0001', userAgent: 'ua\u2028\u2029 😀 é', requestId: 'id"1' }),
  ],
  ['strings over 100 characters', exchange({ path: '/' + 'x'.repeat(300) + '"', userAgent: 'Mozilla/5.0 '.repeat(20) })],
]

t.test('the line is the one pino wrote, field for field and in the same order', async (t) => {
  for (const [name, ex] of cases) t.equal(formatAccessLine(ex, 'shop', NOW), pinoLine(ex, 'shop', NOW), name)
  const service = 'shop "eu"\\1'
  t.equal(formatAccessLine(exchange(), service, NOW), pinoLine(exchange(), service, NOW), 'a service name needing escapes')
})

t.test('durations are written as pino wrote them, whatever their size', async (t) => {
  const prng = new SeededPrng(20261204)
  const values = [0, 0.0004999, 0.0005, 0.001, 0.01, 0.1, 0.999, 0.9995, 1, 1.5, 12.05, 2147483.647, 2147483.6475, 2147484, 1e12, -0.0004, -0.0005, -1.5]
  for (let i = 0; i < 20_000; i++) {
    const scale = 10 ** prng.int(-4, 7)
    values.push(prng.next() * scale, prng.int(0, 1_000_000) / 1000, (prng.int(0, 1000) + 0.5) / 1000)
  }
  let differing = values.filter((ms) => millisText(ms) !== JSON.stringify(round3(ms)))
  t.same(differing.slice(0, 5), [], `each of ${values.length} durations as JSON.stringify wrote it`)
  differing = [NaN, Infinity, -Infinity].filter((ms) => millisText(ms) !== 'null')
  t.same(differing, [], 'what is not a number is null')
  for (const ms of [0, 0.0005, 1e12, -3.25]) {
    const ex = exchange({ endUnixMs: START + ms, firstByteUnixMs: START + ms / 2 })
    t.equal(formatAccessLine(ex, 'shop', NOW), pinoLine(ex, 'shop', NOW), `the line of a request that took ${ms} ms`)
  }
})

t.test('the time is the ISO time of the millisecond the line was written in', async (t) => {
  const ex = exchange()
  t.equal(JSON.parse(formatAccessLine(ex, 'shop', NOW)).time, '2025-05-06T07:08:09.123Z')
  t.equal(JSON.parse(formatAccessLine(ex, 'shop', NOW + 1)).time, '2025-05-06T07:08:09.124Z', 'a new millisecond, a new time')
  t.equal(JSON.parse(formatAccessLine(ex, 'other', NOW + 1)).service, 'other', 'the cached head follows the service name')
  // Milliseconds with one, two and three digits, and the turn of a second, a minute, a day, a year, and back in time.
  const times = [
    Date.UTC(2025, 4, 6, 7, 8, 9, 0),
    Date.UTC(2025, 4, 6, 7, 8, 9, 7),
    Date.UTC(2025, 4, 6, 7, 8, 9, 42),
    Date.UTC(2025, 4, 6, 7, 8, 9, 999),
    Date.UTC(2025, 4, 6, 7, 8, 10, 0),
    Date.UTC(2025, 4, 6, 7, 59, 59, 999),
    Date.UTC(2025, 4, 6, 8, 0, 0, 1),
    Date.UTC(2025, 11, 31, 23, 59, 59, 999),
    Date.UTC(2026, 0, 1, 0, 0, 0, 5),
    Date.UTC(2025, 4, 6, 7, 8, 9, 500),
  ]
  for (const ms of times) t.equal(JSON.parse(formatAccessLine(ex, 'shop', ms)).time, new Date(ms).toISOString(), new Date(ms).toISOString())
})

t.test('hostile paths and user agents round-trip through JSON.parse without a raw line break', async (t) => {
  const path = '/q"uote\\back\nnew\rret\u2028ls\u2029ps😀\ud800lone\udc00low'
  const userAgent = 'evil\n{"level":"info","msg":"forged"}\r\n\u0000\u001f\u007f'
  const line = formatAccessLine(exchange({ path, userAgent }), 'shop', NOW)
  const parsed = JSON.parse(line)
  t.equal(parsed.path, path, 'path exactly, lone surrogates included')
  t.equal(parsed.user_agent, userAgent)
  t.match(line, /\\n/, 'the line break is escaped')
  t.match(line, /\\ud800lone\\udc00low/, 'lone surrogates are escaped, as JSON.stringify escapes them')
  t.notOk(/[\r\n]/.test(line.slice(0, -1)), 'no raw CR or LF before the terminating newline')
})

t.test('every line is exactly one line', async (t) => {
  const everyControl = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')
  const values = ['', 'plain', everyControl, '"\\', '\u2028\u2029', '\ud83d', '\ude00', '😀', 'x'.repeat(200) + '\n']
  for (const [i, v] of values.entries()) {
    const ex = exchange({ path: v, userAgent: v, requestId: v, route: v, errorType: v, clientAddress: v })
    const line = formatAccessLine(ex, v === '' ? 'shop' : v, NOW)
    // (Messages name the value by index: a raw U+2028 in one cuts tap's own output.)
    t.ok(line.endsWith('}\n'), `value ${i}: ends with one newline`)
    t.equal(line.indexOf('\n'), line.length - 1, `value ${i}: no other LF`)
    t.equal(line.indexOf('\r'), -1, `value ${i}: no CR`)
    t.doesNotThrow(() => JSON.parse(line), `value ${i}: valid JSON`)
  }
})

t.test('AccessLog writes the lines through its destination and flushes them on close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-access-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'logs', 'access.log')
  const log = new AccessLog(file, 'shop')
  const written = cases.map(([, ex]) => ex)
  for (const ex of written) log.onExchangeEnd(ex)
  await log.close()
  const lines = readFileSync(file, 'utf8').split('\n')
  t.equal(lines.pop(), '', 'the file ends with a newline')
  t.equal(lines.length, written.length, 'one line per exchange, all written by close()')
  lines.forEach((line, i) => {
    t.equal(line + '\n', pinoLine(written[i]!, 'shop', Date.parse(JSON.parse(line).time)), `line ${i + 1} is pino's line`)
  })
})

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-access-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The request number a line carries in its path (`/seq/<n>`). */
const seqOf = (line: string): number => Number((JSON.parse(line) as { path: string }).path.slice('/seq/'.length))

t.test('a burst of lines, then close(): every line reaches the file whole and in order', async (t) => {
  const file = join(tempDir(t), 'access.log')
  const log = new AccessLog(file, 'shop')
  // Several full blocks and a part-filled one; some lines are not ASCII (more bytes than characters).
  const count = 3000
  const written = Array.from({ length: count }, (_, i) => exchange({ path: `/seq/${i}`, userAgent: i % 7 === 0 ? `ua é 😀 ${i}` : 'curl/8.5.0' }))
  for (const ex of written) log.onExchangeEnd(ex)
  await log.close()
  const lines = readFileSync(file, 'utf8').split('\n')
  t.equal(lines.pop(), '', 'the file ends with a newline')
  t.equal(lines.length, count, 'one line per exchange, all written by close()')
  t.same(
    lines.map(seqOf),
    written.map((_, i) => i),
    'in the order they were written',
  )
  const wrong = lines.findIndex((line, i) => line + '\n' !== formatAccessLine(written[i]!, 'shop', Date.parse(JSON.parse(line).time)))
  t.equal(wrong, -1, 'every line is exactly the line built for its exchange')
  t.equal(log.droppedLines, 0, 'nothing dropped')
})

t.test('a line written alone shows up in the file within about a second, without close()', async (t) => {
  const file = join(tempDir(t), 'logs', 'access.log')
  const log = new AccessLog(file, 'shop')
  t.teardown(() => log.close())
  const started = Date.now()
  log.onExchangeEnd(exchange({ path: '/seq/1' }))
  let content = ''
  while (content === '' && Date.now() - started < 1500) {
    await sleep(25)
    if (existsSync(file)) content = readFileSync(file, 'utf8')
  }
  t.ok(content !== '', `written after ${Date.now() - started} ms`)
  t.equal(content.split('\n').length, 2, 'one whole line')
  t.equal(seqOf(content), 1)
})

t.test(
  'a destination that does not keep up: blocks beyond the bound are dropped and counted, what is kept arrives whole and in order',
  { skip: process.platform === 'win32' && 'needs mkfifo' },
  async (t) => {
    const fifo = join(tempDir(t), 'fifo')
    execFileSync('mkfifo', [fifo])
    const bound = 64 * 1024
    const errors: Error[] = []
    const log = new AccessLog(fifo, 'shop', { blockBytes: 4096, maxQueuedBytes: bound, onError: (err) => errors.push(err) })
    // Whatever happens below, let the open of the FIFO (it waits for a reader) finish.
    t.teardown(() => closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)))
    // Nobody reads the FIFO yet: opening it for writing waits, so every block is held.
    const count = 2000 // ~800 KB of lines
    for (let i = 0; i < count; i++) log.onExchangeEnd(exchange({ path: `/seq/${i}` }))
    t.ok(log.droppedLines > count / 2, `lines beyond ${bound} bytes were dropped (${log.droppedLines})`)
    // A reader arrives: what was held is written, then the rest (dropped too) at close().
    const received = new Promise<string>((resolve, reject) => {
      let out = ''
      createReadStream(fifo, 'utf8')
        .on('data', (d) => (out += d))
        .on('end', () => resolve(out))
        .on('error', reject)
    })
    await log.close()
    const text = await received
    t.ok(Buffer.byteLength(text) <= bound, `no more than the bound was held (${Buffer.byteLength(text)} bytes)`)
    const lines = text.split('\n')
    t.equal(lines.pop(), '', 'ends with a whole line')
    t.equal(lines.length + log.droppedLines, count, 'every line was written or counted as dropped')
    const seqs = lines.map(seqOf) // (each line parses: each is whole)
    t.equal(seqs[0], 0, 'the first lines were kept')
    t.ok(
      seqs.every((n, i) => i === 0 || n > seqs[i - 1]!),
      'in order',
    )
    t.same(errors, [], 'a slow destination is not an error')
  },
)

t.test('a destination that cannot be opened: reported once, its lines dropped and counted, close() still resolves', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'not-a-dir'), '')
  const errors: Error[] = []
  const log = new AccessLog(join(dir, 'not-a-dir', 'access.log'), 'shop', { blockBytes: 4096, onError: (err) => errors.push(err) })
  for (let i = 0; i < 100; i++) log.onExchangeEnd(exchange({ path: `/seq/${i}` }))
  await sleep(100)
  for (let i = 100; i < 200; i++) log.onExchangeEnd(exchange({ path: `/seq/${i}` }))
  await log.close()
  t.equal(errors.length, 1, 'one report')
  t.match(errors[0]?.message, /ENOTDIR|EEXIST/)
  t.equal(log.droppedLines, 200, 'every line counted as dropped')
})

t.test('a process that exits without close() still writes its lines, in order', async (t) => {
  const file = join(tempDir(t), 'access.log')
  const module = (path: string): string => JSON.stringify(new URL(path, import.meta.url).href)
  // Full blocks handed to the thread pool and a part-filled one, then process.exit() in the same turn.
  const code = `
    import { AccessLog } from ${module('../../src/proxy/access-log.ts')}
    import { Exchange } from ${module('../../src/proxy/exchange.ts')}
    const log = new AccessLog(${JSON.stringify(file)}, 'shop', { blockBytes: 4096 })
    setTimeout(() => {
      for (let i = 0; i < 1000; i++) {
        const ex = new Exchange(Date.now())
        ex.path = '/seq/' + i
        log.onExchangeEnd(ex)
      }
      process.exit(0)
    }, 50)`
  const child = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', code], { encoding: 'utf8' })
  t.equal(child.status, 0, child.stderr)
  const lines = readFileSync(file, 'utf8').split('\n')
  t.equal(lines.pop(), '', 'ends with a whole line')
  t.same(
    lines.map(seqOf),
    Array.from({ length: 1000 }, (_, i) => i),
    'every line, in order',
  )
})
