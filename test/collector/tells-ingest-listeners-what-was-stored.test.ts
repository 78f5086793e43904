/**
 * An embedder's ingest listener (`ingestListeners`, docs/api.md) gets each
 * stored span whole, as the API returns it, once the store has it: over
 * OTLP/protobuf (which a store may take span by span as it is decoded) as
 * over OTLP/JSON; and a request refused whole tells it nothing.
 */
import t from 'tap'
import { ExportTraceServiceRequest } from '../../src/collector/otlp/otlp-proto-root.js'
import type { StoredSpan } from '../../src/collector/model/stored-span.js'
import { getJson, hexId, postJson, startTestCollector } from './helpers.js'

const told: StoredSpan[][] = []
const collector = await startTestCollector({ ingestListeners: [{ onSpans: (spans) => told.push(spans) }] })
t.teardown(() => collector.close())

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } })

function request(traceId: string, spanIds: string[]) {
  const startNs = BigInt(Date.now() - 5_000) * 1_000_000n
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', 'listened'), kv('host.name', 'h-1')] },
        scopeSpans: [
          {
            scope: { name: 'listener-test', version: '1.2.3' },
            spans: spanIds.map((spanId, i) => ({
              traceId,
              spanId,
              parentSpanId: i === 0 ? '' : spanIds[0],
              name: `op ${i}`,
              kind: 2,
              startTimeUnixNano: String(startNs + BigInt(i) * 1_000_000n),
              endTimeUnixNano: String(startNs + BigInt(i) * 1_000_000n + 4_000_000n),
              attributes: [kv('http.request.method', 'GET'), { key: 'http.response.status_code', value: { intValue: 503 } }],
              events: [{ name: 'retry', timeUnixNano: String(startNs + 1_000n), attributes: [kv('attempt', 'second')] }],
              status: { code: 2, message: 'upstream said no' },
            })),
          },
        ],
      },
    ],
  }
}

function protobufBody(json: ReturnType<typeof request>): Uint8Array {
  const hex = (id: string) => (id === '' ? Buffer.alloc(0) : Buffer.from(id, 'hex'))
  const message = ExportTraceServiceRequest.fromObject({
    resourceSpans: json.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.map((s) => ({ ...s, traceId: hex(s.traceId), spanId: hex(s.spanId), parentSpanId: hex(s.parentSpanId) })),
      })),
    })),
  })
  return ExportTraceServiceRequest.encode(message).finish()
}

/** The spans the listener was told of in the trace, by span id. */
function toldOf(traceId: string): Map<string, StoredSpan> {
  return new Map(
    told
      .flat()
      .filter((s) => s.traceId === traceId)
      .map((s) => [s.spanId, s]),
  )
}

for (const encoding of ['protobuf', 'json'] as const) {
  t.test(`over OTLP/${encoding}, the listener gets every stored span whole, as the API returns it`, async (t) => {
    const traceId = hexId(16)
    const spanIds = [hexId(8), hexId(8), hexId(8)]
    const json = request(traceId, spanIds)
    const res =
      encoding === 'json'
        ? await postJson(`${collector.otlpUrl}/v1/traces`, json)
        : await fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody(json) })
    t.equal(res.status, 200)
    const stored = await getJson(`${collector.apiUrl}/api/traces/${traceId}`)
    t.equal(stored.status, 200)
    const apiSpans = stored.body.spans as StoredSpan[]
    t.equal(apiSpans.length, 3)
    const listened = toldOf(traceId)
    t.equal(listened.size, 3, 'told of each span once it was acknowledged')
    for (const span of apiSpans) {
      const got = listened.get(span.spanId)
      t.ok(got, `told of ${span.name}`)
      t.same(got?.attributes, span.attributes, 'with its attributes')
      t.same(got?.events, span.events, 'its events')
      t.same(got?.resource, span.resource, 'its resource')
      t.same(got?.status, { code: 'ERROR', message: 'upstream said no' }, 'its status and message')
      t.equal(got?.durationMs, span.durationMs, 'its duration')
    }
  })
}

t.test('a request refused whole tells the listener nothing', async (t) => {
  const traceId = hexId(16)
  const body = Buffer.concat([protobufBody(request(traceId, [hexId(8)])), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])])
  const res = await fetch(`${collector.otlpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
  t.equal(res.status, 400)
  t.equal(toldOf(traceId).size, 0)
})
