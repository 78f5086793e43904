/**
 * GET /api/traces/:traceId/linked-from: the spans of other traces whose OTLP span links name the
 * trace (a batch consumer linking the producers' traces, a follow-up job), newest first, with the
 * link's attributes; found in the links already stored on the spans.
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, type JsonSpanInput, postJson, startTestCollector } from './helpers.js'

const collector = await startTestCollector()
t.teardown(() => collector.close())
const api = collector.apiUrl
const T0 = Date.now() - 600_000

const target = hexId(16)
const [orderSpan, chargeSpan] = [hexId(8), hexId(8)]
const batch = hexId(16)
const batchSpan = hexId(8)
const followUp = hexId(16)
const followUpSpan = hexId(8)
const unrelated = hexId(16)
const elsewhere = hexId(16)

t.before(async () => {
  const spans: Record<string, JsonSpanInput[]> = {
    shop: [
      { traceId: target, spanId: orderSpan, name: 'POST /order', startMs: T0 + 1000, durationMs: 50 },
      // A link inside the trace itself is not another trace linking to it.
      {
        traceId: target,
        spanId: chargeSpan,
        parentSpanId: orderSpan,
        name: 'charge',
        startMs: T0 + 1010,
        durationMs: 20,
        links: [{ traceId: target, spanId: orderSpan }],
      },
    ],
    billing: [
      // A batch consumer linking two producers' traces, one of them ours.
      {
        traceId: batch,
        spanId: batchSpan,
        name: 'process invoices',
        kind: 5,
        startMs: T0 + 5000,
        durationMs: 30,
        links: [
          { traceId: elsewhere, spanId: hexId(8) },
          { traceId: target, spanId: chargeSpan, traceState: 'vendor=1', attributes: { 'messaging.batch.index': 1, 'link.reason': 'invoice for this charge' } },
        ],
      },
      {
        traceId: unrelated,
        spanId: hexId(8),
        name: 'process invoices',
        kind: 5,
        startMs: T0 + 6000,
        durationMs: 30,
        links: [{ traceId: elsewhere, spanId: hexId(8) }],
      },
    ],
    mailer: [
      { traceId: followUp, spanId: followUpSpan, name: 'send receipt', startMs: T0 + 3000, durationMs: 10, links: [{ traceId: target, spanId: orderSpan }] },
    ],
  }
  const res = await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest(spans))
  if (res.status !== 200) throw new Error(`ingest failed: ${res.status} ${JSON.stringify(res.body)}`)
})

t.test('the spans of other traces that link to the trace, newest first, with the link attributes', async (t) => {
  const { status, body } = await getJson(`${api}/api/traces/${target}/linked-from`)
  t.equal(status, 200)
  t.same(body, {
    links: [
      {
        traceId: batch,
        spanId: batchSpan,
        service: 'billing',
        name: 'process invoices',
        startTimeUnixMs: T0 + 5000,
        linkedSpanId: chargeSpan,
        traceState: 'vendor=1',
        attributes: { 'messaging.batch.index': 1, 'link.reason': 'invoice for this charge' },
      },
      {
        traceId: followUp,
        spanId: followUpSpan,
        service: 'mailer',
        name: 'send receipt',
        startTimeUnixMs: T0 + 3000,
        linkedSpanId: orderSpan,
        traceState: '',
        attributes: {},
      },
    ],
  })
})

t.test('limit, a trace nobody links to, and a bad id', async (t) => {
  t.same(
    (await getJson(`${api}/api/traces/${target}/linked-from?limit=1`)).body.links.map((l: { traceId: string }) => l.traceId),
    [batch],
  )
  t.same((await getJson(`${api}/api/traces/${followUp}/linked-from`)).body, { links: [] })
  const bad = await getJson(`${api}/api/traces/nope/linked-from`)
  t.equal(bad.status, 400)
  t.match(bad.body.error, /trace/i)
  t.equal((await getJson(`${api}/api/traces/${target}/linked-from?limit=0`)).status, 400)
})

t.test('found behind thousands of newer spans with links to other traces', async (t) => {
  const old = hexId(16)
  const oldSpan = hexId(8)
  const noise: JsonSpanInput[] = []
  for (let i = 0; i < 4500; i++) {
    noise.push({
      traceId: hexId(16),
      spanId: hexId(8),
      name: 'consume',
      startMs: T0 + 10_000 + i,
      durationMs: 1,
      links: [{ traceId: elsewhere, spanId: hexId(8) }],
    })
  }
  const res = await postJson(
    `${collector.otlpUrl}/v1/traces`,
    jsonTraceRequest({
      queue: [...noise, { traceId: old, spanId: oldSpan, name: 'retry', startMs: T0 + 10, durationMs: 1, links: [{ traceId: target, spanId: orderSpan }] }],
    }),
  )
  t.equal(res.status, 200)
  const { body } = await getJson(`${api}/api/traces/${target}/linked-from`)
  t.same(
    body.links.map((l: { traceId: string }) => l.traceId),
    [batch, followUp, old],
    'the oldest link is found after the newer linking spans are read',
  )
})
