import t from 'tap'
import type { PropagationFormat } from '../../src/config/proxy-config.js'
import { type InjectContext, extractContext, injectContext, newSpanId, newTraceId } from '../../src/trace-context/index.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACE64 = '0000000000000000463ac35c9f6413ad'
const SPAN = '00f067aa0ba902b7'
const PARENT = 'e457b5a2e4d86bd1'

function inject(ctx: InjectContext, formats: Iterable<PropagationFormat>): Record<string, string> {
  const headers: Record<string, string> = {}
  injectContext(ctx, formats, (name, value) => {
    if (name in headers) throw new Error(`header ${name} written twice`)
    headers[name] = value
  })
  return headers
}

function roundTrip(ctx: InjectContext, format: PropagationFormat) {
  const headers = inject(ctx, [format])
  return extractContext((name) => headers[name], [format])
}

t.test('the exact headers written for each format', async (t) => {
  const ctx: InjectContext = { traceId: TRACE, spanId: SPAN, parentSpanId: PARENT, traceFlags: 1, traceState: 'a=1,b=2' }
  t.same(inject(ctx, ['tracecontext']), { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'a=1,b=2' })
  t.same(inject(ctx, ['b3']), { b3: `${TRACE}-${SPAN}-1-${PARENT}` })
  t.same(inject(ctx, ['b3multi']), {
    'x-b3-traceid': TRACE,
    'x-b3-spanid': SPAN,
    'x-b3-parentspanid': PARENT,
    'x-b3-sampled': '1',
  })
  t.same(inject(ctx, ['jaeger']), { 'uber-trace-id': `${TRACE}:${SPAN}:0:1` })
})

t.test('a root span has no parent span id and no tracestate', async (t) => {
  const ctx: InjectContext = { traceId: TRACE, spanId: SPAN, parentSpanId: '', traceFlags: 0, traceState: '' }
  t.same(inject(ctx, ['tracecontext', 'b3', 'b3multi']), {
    traceparent: `00-${TRACE}-${SPAN}-00`,
    b3: `${TRACE}-${SPAN}-0`,
    'x-b3-traceid': TRACE,
    'x-b3-spanid': SPAN,
    'x-b3-sampled': '0',
  })
})

t.test('debug is written only with the sampled bit', async (t) => {
  const debug: InjectContext = { traceId: TRACE, spanId: SPAN, traceFlags: 1, debug: true }
  t.same(inject(debug, ['b3', 'b3multi', 'jaeger']), {
    b3: `${TRACE}-${SPAN}-d`,
    'x-b3-traceid': TRACE,
    'x-b3-spanid': SPAN,
    'x-b3-flags': '1',
    'uber-trace-id': `${TRACE}:${SPAN}:0:3`,
  })
  const unsampled = inject({ ...debug, traceFlags: 0 }, ['b3', 'jaeger'])
  t.same(unsampled, { b3: `${TRACE}-${SPAN}-0`, 'uber-trace-id': `${TRACE}:${SPAN}:0:0` })
})

t.test('64-bit trace ids are written back at 64 bits, when they fit', async (t) => {
  const ctx: InjectContext = { traceId: TRACE64, spanId: SPAN, traceFlags: 1, traceIdBits: 64 }
  const headers = inject(ctx, ['b3', 'b3multi', 'jaeger', 'tracecontext'])
  t.equal(headers.b3, `463ac35c9f6413ad-${SPAN}-1`)
  t.equal(headers['x-b3-traceid'], '463ac35c9f6413ad')
  t.equal(headers['uber-trace-id'], `463ac35c9f6413ad:${SPAN}:0:1`)
  t.equal(headers.traceparent, `00-${TRACE64}-${SPAN}-01`, 'W3C is always 128-bit')
  const wide = inject({ ...ctx, traceId: TRACE }, ['b3'])
  t.equal(wide.b3, `${TRACE}-${SPAN}-1`, 'a 128-bit id is never truncated')
})

t.test('each format is written once even if listed twice', async (t) => {
  const headers = inject({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }, ['b3', 'tracecontext', 'b3', 'tracecontext'])
  t.same(Object.keys(headers).sort(), ['b3', 'traceparent'])
})

t.test('extract(inject(x)) == x for every format', async (t) => {
  const cases: Array<{ ctx: InjectContext; formats: PropagationFormat[] }> = [
    { ctx: { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: 'rojo=1,congo=2', traceIdBits: 128 }, formats: ['tracecontext'] },
    { ctx: { traceId: TRACE, spanId: SPAN, traceFlags: 0, traceState: '', traceIdBits: 128 }, formats: ['tracecontext'] },
    { ctx: { traceId: TRACE, spanId: SPAN, traceFlags: 3, traceState: '', traceIdBits: 128 }, formats: ['tracecontext'] },
  ]
  for (const format of ['b3', 'b3multi', 'jaeger'] as const) {
    for (const traceId of [TRACE, TRACE64]) {
      for (const [traceFlags, debug] of [
        [0, false],
        [1, false],
        [1, true],
      ] as const) {
        cases.push({
          ctx: { traceId, spanId: SPAN, parentSpanId: PARENT, traceFlags, traceState: '', traceIdBits: traceId === TRACE64 ? 64 : 128, debug },
          formats: [format],
        })
      }
    }
  }
  for (const { ctx, formats } of cases) {
    const format = formats[0]!
    const result = roundTrip(ctx, format)
    t.same(
      result.context,
      {
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        traceFlags: ctx.traceFlags,
        traceState: ctx.traceState,
        format,
        sampled: (ctx.traceFlags & 1) === 1,
        debug: ctx.debug ?? false,
        traceIdBits: ctx.traceIdBits,
      },
      `${format} ${ctx.traceId} flags=${ctx.traceFlags} debug=${ctx.debug ?? false}`,
    )
    t.equal(result.invalid, undefined)
  }
})

t.test('generated ids round-trip through every format', async (t) => {
  let mismatches = 0
  for (let i = 0; i < 2000; i++) {
    const ctx: InjectContext = { traceId: newTraceId(), spanId: newSpanId(), parentSpanId: newSpanId(), traceFlags: i & 1 }
    for (const format of ['tracecontext', 'b3', 'b3multi', 'jaeger'] as const) {
      const context = roundTrip(ctx, format).context
      if (context?.traceId !== ctx.traceId || context.spanId !== ctx.spanId || context.sampled !== ((i & 1) === 1)) mismatches++
    }
  }
  t.equal(mismatches, 0)
})

t.test('header values never contain CR, LF or other control characters', async (t) => {
  const headers = inject({ traceId: TRACE, spanId: SPAN, parentSpanId: PARENT, traceFlags: 0xff, traceState: 'a=1', debug: true }, [
    'tracecontext',
    'b3',
    'b3multi',
    'jaeger',
  ])
  for (const [name, value] of Object.entries(headers)) {
    // eslint-disable-next-line no-control-regex -- control characters are what must not appear
    t.notOk(/[\x00-\x1f\x7f]/.test(value), `${name}: ${value}`)
  }
})
