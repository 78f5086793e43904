import t from 'tap'
import { parseB3Multi, parseB3Single } from '../../src/trace-context/index.js'

const TRACE128 = '80f198ee56343ba864fe8b2a57d3eff7'
const TRACE64 = '463ac35c9f6413ad'
const SPAN = 'e457b5a2e4d86bd1'
const PARENT = '05e3ac9a4f6e3b90'

t.test('b3 single: 128-bit ids with sampled and parent', async (t) => {
  t.same(parseB3Single(`${TRACE128}-${SPAN}-1-${PARENT}`), {
    traceId: TRACE128,
    spanId: SPAN,
    traceFlags: 1,
    traceState: '',
    format: 'b3',
    sampled: true,
    debug: false,
    traceIdBits: 128,
  })
})

t.test('b3 single: a 64-bit trace id is left-padded and remembered as 64-bit', async (t) => {
  const ctx = parseB3Single(`${TRACE64}-${SPAN}-0`)
  t.match(ctx, { traceId: `0000000000000000${TRACE64}`, spanId: SPAN, sampled: false, traceFlags: 0, traceIdBits: 64 })
})

t.test('b3 single: sampling state is optional (deferred), d means debug and sampled', async (t) => {
  t.match(parseB3Single(`${TRACE128}-${SPAN}`), { sampled: undefined, traceFlags: 0, debug: false })
  t.match(parseB3Single(`${TRACE128}-${SPAN}-d`), { sampled: true, traceFlags: 1, debug: true })
  t.match(parseB3Single(`${TRACE128}-${SPAN}-d-${PARENT}`), { sampled: true, debug: true })
})

t.test('b3 single: a decision alone (deny-only b3: 0) carries no ids', async (t) => {
  t.same(parseB3Single('0'), { samplingOnly: true, sampled: false, debug: false })
  t.same(parseB3Single('1'), { samplingOnly: true, sampled: true, debug: false })
  t.same(parseB3Single('d'), { samplingOnly: true, sampled: true, debug: true })
  t.same(parseB3Single(' 0 '), { samplingOnly: true, sampled: false, debug: false }, 'OWS trimmed')
})

t.test('b3 single: malformed values', async (t) => {
  const bad = [
    '2',
    'true',
    '',
    `${TRACE128}`, // no span id
    `${TRACE128}-`,
    `${TRACE128}-${SPAN}-`, // dash without state
    `${TRACE128}-${SPAN}-2`,
    `${TRACE128}-${SPAN}-true`,
    `${TRACE128}-${SPAN}-${PARENT}`, // parent without sampling state
    `${TRACE128}-${SPAN}-1-`,
    `${TRACE128}-${SPAN}-1-${PARENT}0`,
    `${TRACE128}-${SPAN}-1-${PARENT.slice(1)}`,
    `${TRACE128}-${SPAN}-1-${PARENT.toUpperCase()}`,
    `${TRACE128.toUpperCase()}-${SPAN}-1`, // B3 ids are lower-hex
    `${TRACE128}-${SPAN.toUpperCase()}-1`,
    `${TRACE128.slice(2)}-${SPAN}-1`, // 30 hex
    `${TRACE64}0-${SPAN}-1`, // 17 hex
    `${TRACE128}-${SPAN}0-1`,
    `${'0'.repeat(32)}-${SPAN}-1`,
    `${'0'.repeat(16)}-${SPAN}-1`,
    `${TRACE128}-${'0'.repeat(16)}-1`,
    `${TRACE128}-${SPAN}-1, ${TRACE128}-${SPAN}-1`, // duplicate values joined
  ]
  for (const header of bad) t.equal(parseB3Single(header), undefined, JSON.stringify(header))
})

t.test('b3 multi: ids, sampled in both spellings, 64- and 128-bit', async (t) => {
  t.same(parseB3Multi(TRACE128, SPAN, '1', undefined), {
    traceId: TRACE128,
    spanId: SPAN,
    traceFlags: 1,
    traceState: '',
    format: 'b3multi',
    sampled: true,
    debug: false,
    traceIdBits: 128,
  })
  t.match(parseB3Multi(TRACE64, SPAN, 'true', undefined), { traceId: `0000000000000000${TRACE64}`, traceIdBits: 64, sampled: true })
  t.match(parseB3Multi(TRACE128, SPAN, '0', undefined), { sampled: false, traceFlags: 0 })
  t.match(parseB3Multi(TRACE128, SPAN, 'false', undefined), { sampled: false })
  t.match(parseB3Multi(TRACE128, SPAN, undefined, undefined), { sampled: undefined, traceFlags: 0 }, 'deferred')
})

t.test('b3 multi: X-B3-Flags: 1 is debug and implies sampled', async (t) => {
  t.match(parseB3Multi(TRACE128, SPAN, undefined, '1'), { sampled: true, debug: true, traceFlags: 1 })
  t.match(parseB3Multi(TRACE128, SPAN, '0', '1'), { sampled: true, debug: true }, 'debug beats a deny')
  t.match(parseB3Multi(TRACE128, SPAN, '0', '0'), { sampled: false, debug: false }, 'other flag values ignored')
})

t.test('b3 multi: a decision without ids', async (t) => {
  t.same(parseB3Multi(undefined, undefined, '0', undefined), { samplingOnly: true, sampled: false, debug: false })
  t.same(parseB3Multi(undefined, undefined, 'true', undefined), { samplingOnly: true, sampled: true, debug: false })
  t.same(parseB3Multi(undefined, undefined, undefined, '1'), { samplingOnly: true, sampled: true, debug: true })
})

t.test('b3 multi: malformed', async (t) => {
  t.equal(parseB3Multi(TRACE128, undefined, '1', undefined), undefined, 'trace id without span id')
  t.equal(parseB3Multi(undefined, SPAN, '1', undefined), undefined, 'span id without trace id')
  t.equal(parseB3Multi(TRACE128, SPAN, 'yes', undefined), undefined, 'unknown sampled value')
  t.equal(parseB3Multi(TRACE128, SPAN, 'True', undefined), undefined, 'sampled is case-sensitive')
  t.equal(parseB3Multi(TRACE128.toUpperCase(), SPAN, '1', undefined), undefined, 'upper-case trace id')
  t.equal(parseB3Multi(TRACE128.slice(1), SPAN, '1', undefined), undefined, 'short trace id')
  t.equal(parseB3Multi(TRACE128, SPAN.slice(1), '1', undefined), undefined, 'short span id')
  t.equal(parseB3Multi('0'.repeat(16), SPAN, '1', undefined), undefined, 'zero trace id')
  t.equal(parseB3Multi(TRACE128, '0'.repeat(16), '1', undefined), undefined, 'zero span id')
  t.equal(parseB3Multi(undefined, undefined, 'maybe', undefined), undefined, 'bad decision alone')
})
