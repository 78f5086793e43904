import t from 'tap'
import type { IncomingHttpHeaders } from 'node:http'
import { request, startHttpServer } from '../helpers/servers.js'
import { startTestSidecar } from '../helpers/sidecar.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

// One upstream that echoes the headers it received, one sidecar in front of it.
const seen: IncomingHttpHeaders[] = []
const upstream = await startHttpServer((req, res) => {
  seen.push(req.headers)
  res.end('ok')
})
const proxy = await startTestSidecar(upstream.url, ['--extract', 'tracecontext,b3,b3multi,jaeger'])
t.teardown(async () => {
  await proxy.close()
  await upstream.close()
})

async function call(headers: Record<string, string | string[]>) {
  const before = proxy.spans.spans.length
  const res = await request(proxy.url + '/x', { headers })
  await proxy.spans.waitFor(before + 1)
  return { res, upstreamSaw: seen[seen.length - 1]!, span: proxy.spans.spans[before]! }
}

t.test('a valid traceparent: same trace, new span id, parent and flags carried', async (t) => {
  const { res, upstreamSaw, span } = await call({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' })
  t.equal(res.status, 200)
  t.equal(span.traceId, TRACE)
  t.equal(span.parentSpanId, PARENT)
  t.not(span.spanId, PARENT)
  t.equal(span.traceFlags & 1, 1)
  t.equal(upstreamSaw.traceparent, `00-${TRACE}-${span.spanId}-01`, 'the upstream is a child of the proxy span')
  t.equal(upstreamSaw.tracestate, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', 'tracestate carried on')
  t.equal(span.traceState, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')
})

t.test('tracestate with Level 2 keys and a repeated key is carried on, not dropped', async (t) => {
  const long = `${'t'.repeat(200)}@${'v'.repeat(55)}`
  const cases: Array<[string | string[], string]> = [
    ['foo@=1,rojo=00f067aa0ba902b7', 'foo@=1,rojo=00f067aa0ba902b7'],
    [`${long}=1`, `${long}=1`],
    ['foo=1,foo=1', 'foo=1'],
    ['foo=1,foo=2,bar=3', 'foo=1,bar=3'],
    [['foo=1', 'foo=1'], 'foo=1'],
  ]
  for (const [tracestate, forwarded] of cases) {
    const { upstreamSaw, span } = await call({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate })
    t.equal(upstreamSaw.tracestate, forwarded, JSON.stringify(tracestate))
    t.equal(span.traceState, forwarded)
    t.equal(span.attributes['tracecar.invalid_context_header'], undefined)
  }
})

t.test('no context: a new trace, propagated to the upstream', async (t) => {
  const { upstreamSaw, span } = await call({})
  t.match(span.traceId, /^[0-9a-f]{32}$/)
  // A trace we start is sampled (01) and its id is random (W3C level 2 flag 02).
  t.equal(span.parentSpanId, '')
  t.equal(upstreamSaw.traceparent, `00-${span.traceId}-${span.spanId}-03`)
})

const invalid: Array<[string, string | string[]]> = [
  ['upper-case hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
  ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
  ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
  ['version ff', `ff-${TRACE}-${PARENT}-01`],
  ['version 00 with extra fields', `00-${TRACE}-${PARENT}-01-extra`],
  ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
  ['non-hex', `00-${TRACE.slice(0, 31)}g-${PARENT}-01`],
  ['two traceparent headers', [`00-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT}-01`]],
  // Joined by Node into one value that passes the future-version rules.
  ['two future-version traceparent headers', [`01-${TRACE}-${PARENT}-01-x`, `01-${TRACE}-${PARENT}-01-x`]],
  ['a future version and an empty traceparent header', [`01-${TRACE}-${PARENT}-01-x`, '']],
]
for (const [what, value] of invalid) {
  t.test(`invalid traceparent (${what}): a new trace, the malformed value never forwarded`, async (t) => {
    const { upstreamSaw, span } = await call({ traceparent: value, tracestate: 'a=b' })
    t.not(span.traceId, TRACE)
    t.equal(span.parentSpanId, '')
    t.equal(upstreamSaw.traceparent, `00-${span.traceId}-${span.spanId}-03`)
    t.equal(upstreamSaw.tracestate, undefined, 'tracestate is dropped with an invalid traceparent')
    t.equal(span.attributes['tracecar.invalid_context_header'], 'traceparent')
  })
}

t.test('a future version is parsed by its first four fields', async (t) => {
  const { span, upstreamSaw } = await call({ traceparent: `cc-${TRACE}-${PARENT}-01-what-the-future-holds` })
  t.equal(span.traceId, TRACE)
  t.equal(span.parentSpanId, PARENT)
  t.equal(upstreamSaw.traceparent, `00-${TRACE}-${span.spanId}-01`, 'forwarded as version 00')
})

t.test('an unsampled parent is respected (parent-based sampling) but still propagated', async (t) => {
  const before = proxy.spans.spans.length
  await request(proxy.url + '/x', { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } })
  const upstreamSaw = seen[seen.length - 1]!
  t.match(upstreamSaw.traceparent, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`))
  await new Promise((r) => setTimeout(r, 50))
  t.equal(proxy.spans.spans.length, before, 'no span recorded for an unsampled request')
})

t.test('B3 single header: extracted, and re-injected as B3 besides W3C', async (t) => {
  const { span, upstreamSaw } = await call({ b3: `${TRACE}-${PARENT}-1` })
  t.equal(span.traceId, TRACE)
  t.equal(span.parentSpanId, PARENT)
  t.equal(upstreamSaw.traceparent, `00-${TRACE}-${span.spanId}-01`)
  t.match(upstreamSaw.b3, new RegExp(`^${TRACE}-${span.spanId}-1`))
})

t.test('B3 multi headers with a 64-bit trace id', async (t) => {
  const short = 'a3ce929d0e0e4736'
  const { span, upstreamSaw } = await call({ 'x-b3-traceid': short, 'x-b3-spanid': PARENT, 'x-b3-sampled': '1' })
  t.equal(span.traceId, '0000000000000000' + short)
  t.equal(span.parentSpanId, PARENT)
  t.equal(upstreamSaw['x-b3-traceid'], short, 'written back with the width it came in')
  t.equal(upstreamSaw['x-b3-spanid'], span.spanId)
})

t.test('Jaeger uber-trace-id', async (t) => {
  const { span, upstreamSaw } = await call({ 'uber-trace-id': `${TRACE}:${PARENT}:0:1` })
  t.equal(span.traceId, TRACE)
  t.equal(span.parentSpanId, PARENT)
  t.match(upstreamSaw['uber-trace-id'], new RegExp(`^${TRACE}:${span.spanId}:`))
})

t.test('traceparent wins over B3 when both are valid', async (t) => {
  const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
  const { span } = await call({ traceparent: `00-${TRACE}-${PARENT}-01`, b3: `${other}-${PARENT}-1` })
  t.equal(span.traceId, TRACE)
})
