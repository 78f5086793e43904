/**
 * The trace page's routes: GET /api/traces/:traceId/compact holds the same spans, order, times
 * (to the nanosecond), names, status and warnings as the JSON route, as columns without
 * attributes; /spans/:spanId answers one span whole; /find answers the spans whose attribute
 * values contain a text.
 */
import t from 'tap'
import { decodeCompactTrace } from '../../src/ui/trace/span-head.js'
import type { CompactTraceResponse, Span } from '../../src/query-api/query-api-types.js'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const api = collector.apiUrl

// 5 ms before a multiple of 10^15 ns, so the trace's times cross the boundary the encoder's
// digit arithmetic treats specially.
const T0 = Math.ceil(Date.now() / 1e6) * 1e6 - 5
const traceId = hexId(16)
const [root, call, server, orphan] = [hexId(8), hexId(8), hexId(8), hexId(8)]

t.before(async () => {
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({
      frontend: [
        { traceId, spanId: root, name: 'GET /checkout', startMs: T0, durationMs: 20.123456, attributes: { 'http.route': '/checkout' } },
        {
          traceId,
          spanId: call,
          parentSpanId: root,
          name: 'POST',
          kind: 3,
          startMs: T0 + 1.5,
          durationMs: 10,
          attributes: { 'url.full': 'http://cart:8080/cart?id=1', 'retry.count': 42 },
        },
      ],
      cart: [
        {
          traceId,
          spanId: server,
          parentSpanId: call,
          name: 'POST /cart',
          startMs: T0 + 2,
          durationMs: 8,
          status: 2,
          attributes: { 'cart.owner': 'Alice Example' },
        },
        { traceId, spanId: orphan, parentSpanId: hexId(8), name: 'late job', startMs: T0 + 30, durationMs: 1 },
      ],
    }),
  )
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`)
})

t.test('the compact trace has what the JSON route has, in columns, without attributes', async (t) => {
  const json = await getJson(`${api}/api/traces/${traceId}`)
  const compact = await getJson(`${api}/api/traces/${traceId}/compact`)
  t.equal(compact.status, 200)
  const body = compact.body as CompactTraceResponse
  const spans = json.body.spans as Span[]
  t.same(
    body.spanId,
    spans.map((s) => s.spanId),
    'the same spans in the same display order',
  )
  t.same(body.warnings, json.body.warnings, 'the same warnings')
  t.match(body.warnings.join('\n'), /cart: late job has parent/, 'the span whose parent is missing is warned about')
  t.equal(new Set(body.strings).size, body.strings.length, 'each string once')
  t.notOk(JSON.stringify(body).includes('Alice Example'), 'no attribute values')

  const heads = decodeCompactTrace(body)
  spans.forEach((s, i) => {
    const h = heads[i]!
    const exactNs = BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)
    t.equal(BigInt(body.durationNs[i]!), exactNs, `${s.name}: its duration to the nanosecond`)
    t.equal(
      BigInt(body.startOffsetNs[i]!),
      BigInt(s.startTimeUnixNano) - BigInt(body.spanId.map((_, j) => spans[j]!.startTimeUnixNano).sort()[0]!),
      `${s.name}: its start to the nanosecond`,
    )
    t.ok(Math.abs(h.startTimeUnixMs - s.startTimeUnixMs) < 1e-3, `${s.name}: the same start in ms`)
    t.match(h, { spanId: s.spanId, service: s.service, name: s.name, kind: s.kind, status: s.status }, `${s.name}: names, kind and status`)
    t.equal(h.parentSpanId, s.spanId === orphan ? null : s.parentSpanId, `${s.name}: its parent (none when it is not stored)`)
  })
  t.equal(heads.find((h) => h.spanId === call)!.callTarget, 'cart:8080/cart', 'where the call went, from its url.full')
  t.equal(heads.find((h) => h.spanId === root)!.callTarget, '', 'a server span has no call target')

  t.equal((await getJson(`${api}/api/traces/${hexId(16)}/compact`)).status, 404, 'an unknown trace is a 404')
})

t.test('one span, whole, as the JSON route has it', async (t) => {
  const json = await getJson(`${api}/api/traces/${traceId}`)
  const one = await getJson(`${api}/api/traces/${traceId}/spans/${server.toUpperCase()}`)
  t.equal(one.status, 200)
  t.same(one.body, { span: (json.body.spans as Span[]).find((s) => s.spanId === server) })
  t.equal((await getJson(`${api}/api/traces/${traceId}/spans/${hexId(8)}`)).status, 404, 'a span not in the trace is a 404')
  const bad = await getJson(`${api}/api/traces/${traceId}/spans/xyz`)
  t.equal(bad.status, 400)
  t.match(bad.body.error, /16 hex digits/, 'a malformed span id says what is expected')
})

t.test('find: the spans with an attribute value containing the text, any case', async (t) => {
  const find = async (text: string) => (await getJson(`${api}/api/traces/${traceId}/find?text=${encodeURIComponent(text)}`)).body.spanIds as string[]
  t.same(await find('alice example'), [server], 'a string value, any case')
  t.same(await find('42'), [call], 'a number as its JSON text')
  t.same((await find('/c')).sort(), [root, call].sort(), 'every span that has one')
  t.same(await find('retry.count'), [], 'keys are not values')
  const missing = await getJson(`${api}/api/traces/${traceId}/find`)
  t.equal(missing.status, 400, 'no text is a 400')
})

t.test('a span that arrives after the trace was read opens, and the next compact answer has it', async (t) => {
  // A store without a columns read (ClickHouse) keeps the spans it read for the columns a minute,
  // for the spans the user opens next: that must not hide a span stored since.
  const first = (await getJson(`${api}/api/traces/${traceId}/compact`)).body as CompactTraceResponse
  t.equal((await getJson(`${api}/api/traces/${traceId}/spans/${root}`)).status, 200)
  const late = hexId(8)
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({
      cart: [{ traceId, spanId: late, parentSpanId: server, name: 'UPDATE cart', startMs: T0 + 3, durationMs: 2, attributes: { 'db.rows': 7 } }],
    }),
  )
  t.equal(res.status, 200)
  const opened = await getJson(`${api}/api/traces/${traceId}/spans/${late}`)
  t.equal(opened.status, 200, 'the late span opens')
  t.same(opened.body.span.attributes, { 'db.rows': 7 }, 'with its attributes')
  const again = (await getJson(`${api}/api/traces/${traceId}/compact`)).body as CompactTraceResponse
  t.equal(again.spanId.length, first.spanId.length + 1, 'the trace read again has one span more')
  const at = again.spanId.indexOf(late)
  t.equal(again.spanId[again.parent[at]!], server, 'under its parent')
  t.equal(again.strings[again.name[at]!], 'UPDATE cart')
})
