import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { AccessLog } from '../../src/proxy/access-log.js'
import { formatAccessLine } from '../../src/proxy/access-log-line.js'
import { Exchange } from '../../src/proxy/exchange.js'
import { SpanKind } from '../../src/span/span-record.js'

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
  [
    'an outbound request',
    exchange({ kind: SpanKind.CLIENT, method: 'POST', path: '/orders', route: '', requestBodyBytes: 512, statusCode: 201 }),
  ],
  ['an upgrade', exchange({ upgraded: true, statusCode: 101, path: '/ws', route: '', requestBodyBytes: 90, responseBodyBytes: 4096 })],
  [
    'a failed request',
    exchange({ statusCode: 502, errorType: 'ECONNREFUSED', upstreamConnectedUnixMs: 0, firstByteUnixMs: 0, responseBodyBytes: 0 }),
  ],
  [
    'a request with every optional field absent',
    exchange({ parentSpanId: '', requestId: '', route: '', upstreamConnectedUnixMs: 0, firstByteUnixMs: 0, userAgent: '', sampled: false }),
  ],
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

t.test('the time is the ISO time of the millisecond the line was written in', async (t) => {
  const ex = exchange()
  t.equal(JSON.parse(formatAccessLine(ex, 'shop', NOW)).time, '2025-05-06T07:08:09.123Z')
  t.equal(JSON.parse(formatAccessLine(ex, 'shop', NOW + 1)).time, '2025-05-06T07:08:09.124Z', 'a new millisecond, a new time')
  t.equal(JSON.parse(formatAccessLine(ex, 'other', NOW + 1)).service, 'other', 'the cached head follows the service name')
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
