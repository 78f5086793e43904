import t from 'tap'
import type { PropagationFormat } from '../../src/config/proxy-config.js'
import { extractContext } from '../../src/trace-context/index.js'

const W3C_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const W3C_SPAN = '00f067aa0ba902b7'
const B3_TRACE = '80f198ee56343ba864fe8b2a57d3eff7'
const B3_SPAN = 'e457b5a2e4d86bd1'
const JAEGER_TRACE = '0af7651916cd43dd8448eb211c80319c'
const JAEGER_SPAN = 'b7ad6b7169203331'
const MULTI_TRACE = '11111111111111112222222222222222'
const MULTI_SPAN = '3333333333333333'

const ALL: PropagationFormat[] = ['tracecontext', 'b3', 'b3multi', 'jaeger']

type Headers = Record<string, string | string[]>
const getter = (headers: Headers) => (name: string) => headers[name]

const w3c: Headers = { traceparent: `00-${W3C_TRACE}-${W3C_SPAN}-01`, tracestate: 'rojo=00f067aa0ba902b7' }
const b3: Headers = { b3: `${B3_TRACE}-${B3_SPAN}-1` }
const b3multi: Headers = { 'x-b3-traceid': MULTI_TRACE, 'x-b3-spanid': MULTI_SPAN, 'x-b3-sampled': '0' }
const jaeger: Headers = { 'uber-trace-id': `${JAEGER_TRACE}:${JAEGER_SPAN}:0:1` }

t.test('no context headers: no parent, nothing invalid', async (t) => {
  t.same(extractContext(getter({ accept: '*/*' }), ALL), { context: undefined, sampled: undefined, invalid: undefined })
  t.same(extractContext(getter({ traceparent: '' }), ALL), { context: undefined, sampled: undefined, invalid: undefined }, 'empty value')
  t.same(extractContext(getter({ traceparent: [] }), ALL), { context: undefined, sampled: undefined, invalid: undefined }, 'no values')
})

t.test('a valid traceparent with its tracestate', async (t) => {
  const result = extractContext(getter(w3c), ALL)
  t.same(result, {
    context: {
      traceId: W3C_TRACE,
      spanId: W3C_SPAN,
      traceFlags: 1,
      traceState: 'rojo=00f067aa0ba902b7',
      format: 'tracecontext',
      sampled: true,
      debug: false,
      traceIdBits: 128,
    },
    sampled: true,
    invalid: undefined,
  })
})

t.test('a valid traceparent wins even when listed last', async (t) => {
  const headers = { ...jaeger, ...b3, ...b3multi, ...w3c }
  const result = extractContext(getter(headers), ['jaeger', 'b3', 'b3multi', 'tracecontext'])
  t.equal(result.context?.format, 'tracecontext')
  t.equal(result.context?.traceId, W3C_TRACE)
})

t.test('otherwise the first valid format in order wins', async (t) => {
  const headers = { ...jaeger, ...b3, ...b3multi }
  t.equal(extractContext(getter(headers), ALL).context?.traceId, B3_TRACE)
  t.equal(extractContext(getter(headers), ['jaeger', 'b3']).context?.traceId, JAEGER_TRACE)
  const multi = extractContext(getter(headers), ['b3multi', 'jaeger'])
  t.match(multi, { context: { traceId: MULTI_TRACE, spanId: MULTI_SPAN, format: 'b3multi', sampled: false }, sampled: false })
})

t.test('formats not enabled are never read', async (t) => {
  t.same(extractContext(getter({ ...w3c, ...b3 }), ['jaeger']).context, undefined)
  t.equal(extractContext(getter({ ...w3c, ...b3 }), ['b3']).context?.traceId, B3_TRACE, 'traceparent ignored when tracecontext is off')
  t.same(extractContext(getter({ traceparent: 'garbage' }), ['b3']).invalid, undefined, 'nor reported')
})

t.test('an invalid traceparent is reported and the next valid format is used', async (t) => {
  const result = extractContext(getter({ traceparent: `ff-${W3C_TRACE}-${W3C_SPAN}-01`, ...b3 }), ALL)
  t.equal(result.invalid, 'traceparent')
  t.equal(result.context?.traceId, B3_TRACE)
  t.same(extractContext(getter({ traceparent: 'nope', tracestate: 'a=1' }), ALL), {
    context: undefined,
    sampled: undefined,
    invalid: 'traceparent',
  })
})

t.test('tracestate is ignored without a valid traceparent', async (t) => {
  const result = extractContext(getter({ tracestate: 'a=1', ...b3 }), ALL)
  t.equal(result.context?.traceState, '', 'not attached to a B3 parent')
  t.equal(result.invalid, undefined)
  t.equal(extractContext(getter({ tracestate: 'BAD KEY=1', ...b3 }), ALL).invalid, undefined, 'not even validated')
})

t.test('an invalid tracestate is dropped and reported; the traceparent is kept', async (t) => {
  const result = extractContext(getter({ traceparent: w3c.traceparent!, tracestate: 'a=1,@b=2' }), ALL)
  t.equal(result.context?.traceId, W3C_TRACE)
  t.equal(result.context?.traceState, '')
  t.equal(result.invalid, 'tracestate')
})

t.test('repeated tracestate headers are combined', async (t) => {
  const result = extractContext(getter({ traceparent: w3c.traceparent!, tracestate: ['a=1', 'b=2'] }), ALL)
  t.equal(result.context?.traceState, 'a=1,b=2')
})

t.test('a tracestate key repeated across header lines keeps the rest of the tracestate', async (t) => {
  const result = extractContext(getter({ traceparent: w3c.traceparent!, tracestate: ['foo=1,b=2', 'foo=1'] }), ALL)
  t.equal(result.context?.traceState, 'foo=1,b=2')
  t.equal(result.invalid, undefined)
})

t.test('duplicate single-valued headers are invalid', async (t) => {
  t.same(
    extractContext(getter({ traceparent: [w3c.traceparent as string, w3c.traceparent as string] }), ALL).invalid,
    'traceparent',
    'two identical traceparent values',
  )
  t.equal(extractContext(getter({ traceparent: [w3c.traceparent as string] }), ALL).context?.traceId, W3C_TRACE, 'one value in an array is fine')
  t.equal(extractContext(getter({ b3: [b3.b3 as string, b3.b3 as string] }), ['b3']).invalid, 'b3')
  t.equal(extractContext(getter({ ...b3multi, 'x-b3-spanid': [MULTI_SPAN, MULTI_SPAN] }), ['b3multi']).invalid, 'b3multi')
  t.equal(extractContext(getter({ 'uber-trace-id': [jaeger['uber-trace-id'] as string, 'x'] }), ['jaeger']).invalid, 'jaeger')
})

t.test('each format reports itself as the invalid header', async (t) => {
  t.equal(extractContext(getter({ b3: 'x' }), ALL).invalid, 'b3')
  t.equal(extractContext(getter({ 'x-b3-traceid': MULTI_TRACE }), ALL).invalid, 'b3multi')
  t.equal(extractContext(getter({ 'uber-trace-id': 'x' }), ALL).invalid, 'jaeger')
})

t.test('the first invalid header is reported even when a later format is valid', async (t) => {
  const result = extractContext(getter({ b3: 'bogus', ...jaeger }), ['b3', 'jaeger'])
  t.equal(result.invalid, 'b3')
  t.equal(result.context?.format, 'jaeger')
})

t.test('a deny-only b3 gives a decision without a parent', async (t) => {
  t.same(extractContext(getter({ b3: '0' }), ALL), { context: undefined, sampled: false, invalid: undefined })
  t.same(extractContext(getter({ 'x-b3-sampled': '1' }), ALL), { context: undefined, sampled: true, invalid: undefined })
  t.same(extractContext(getter({ 'x-b3-flags': '0' }), ALL), { context: undefined, sampled: undefined, invalid: undefined }, 'flags 0 alone is nothing')
  const later = extractContext(getter({ b3: '0', ...jaeger }), ['b3', 'jaeger'])
  t.equal(later.context?.format, 'jaeger', 'a later format with ids still supplies the parent')
  t.equal(later.sampled, true, "and the parent's own decision")
})

t.test('a deferred b3 decision stays undefined', async (t) => {
  const result = extractContext(getter({ b3: `${B3_TRACE}-${B3_SPAN}` }), ALL)
  t.equal(result.context?.sampled, undefined)
  t.equal(result.sampled, undefined)
})
