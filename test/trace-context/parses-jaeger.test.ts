import t from 'tap'
import { parseUberTraceId } from '../../src/trace-context/index.js'

const TRACE128 = '80f198ee56343ba864fe8b2a57d3eff7'
const TRACE64 = '463ac35c9f6413ad'
const SPAN = 'e457b5a2e4d86bd1'

t.test('full-width ids, sampled', async (t) => {
  t.same(parseUberTraceId(`${TRACE128}:${SPAN}:0:1`), {
    traceId: TRACE128,
    spanId: SPAN,
    traceFlags: 1,
    traceState: '',
    format: 'jaeger',
    sampled: true,
    debug: false,
    traceIdBits: 128,
  })
})

t.test('URL-encoded colons are decoded', async (t) => {
  t.match(parseUberTraceId(`${TRACE128}%3A${SPAN}%3A0%3A1`), { traceId: TRACE128, spanId: SPAN, sampled: true })
  t.match(parseUberTraceId(`${TRACE128}%3a${SPAN}:0%3a0`), { traceId: TRACE128, sampled: false }, 'lower-case, mixed')
  t.equal(parseUberTraceId(`${TRACE128}%3B${SPAN}:0:1`), undefined, 'other escapes are not part of a valid value')
  t.equal(parseUberTraceId(`${TRACE128}%${SPAN}:0:1`), undefined)
})

t.test('short ids are left-padded; width is remembered', async (t) => {
  t.match(parseUberTraceId(`${TRACE64}:${SPAN}:0:1`), { traceId: `0000000000000000${TRACE64}`, traceIdBits: 64 })
  t.match(parseUberTraceId('abc:de:0:1'), {
    traceId: '00000000000000000000000000000abc',
    spanId: '00000000000000de',
    traceIdBits: 64,
  })
  t.match(parseUberTraceId(`1${TRACE64}:${SPAN}:0:1`), { traceId: `000000000000001${TRACE64}`, traceIdBits: 128 })
})

t.test('upper-case hex is accepted and lowercased', async (t) => {
  t.match(parseUberTraceId(`${TRACE128.toUpperCase()}:${SPAN.toUpperCase()}:0:1`), { traceId: TRACE128, spanId: SPAN })
})

t.test('the deprecated parent may be 0 or an id and is otherwise ignored', async (t) => {
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:05e3ac9a4f6e3b90:1`), { spanId: SPAN })
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0000000000000000:1`), { spanId: SPAN })
  t.equal(parseUberTraceId(`${TRACE128}:${SPAN}::1`), undefined, 'empty parent')
  t.equal(parseUberTraceId(`${TRACE128}:${SPAN}:xyz:1`), undefined, 'non-hex parent')
})

t.test('flags: 0x1 sampled, 0x2 debug (implies sampled), other bits ignored', async (t) => {
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0:0`), { sampled: false, debug: false, traceFlags: 0 })
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0:1`), { sampled: true, debug: false, traceFlags: 1 })
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0:3`), { sampled: true, debug: true, traceFlags: 1 })
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0:2`), { sampled: true, debug: true })
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0:04`), { sampled: false, debug: false })
  t.match(parseUberTraceId(`${TRACE128}:${SPAN}:0:0d`), { sampled: true, debug: false }, 'two hex digits')
})

t.test('malformed values', async (t) => {
  const bad = [
    '',
    `${TRACE128}:${SPAN}:0`, // three fields
    `${TRACE128}:${SPAN}:0:1:1`, // five fields
    `${TRACE128}0:${SPAN}:0:1`, // 33 hex
    `${TRACE128}:${SPAN}0:0:1`, // 17 hex
    `:${SPAN}:0:1`,
    `${TRACE128}::0:1`,
    `${TRACE128}:${SPAN}:0:`,
    `${TRACE128}:${SPAN}:0:100`, // flags over one byte
    `${TRACE128}:${SPAN}:0:z`,
    `${TRACE128.slice(0, 31)}g:${SPAN}:0:1`,
    `0:${SPAN}:0:1`, // zero trace id
    `${TRACE128}:0000:0:1`, // zero span id
    `${TRACE128}:${SPAN}:0:1, ${TRACE128}:${SPAN}:0:1`, // duplicate values joined
  ]
  for (const header of bad) t.equal(parseUberTraceId(header), undefined, JSON.stringify(header))
})
