/**
 * Dependencies over an hour add up the calls of every time bucket they are
 * counted into (hours, minutes, seconds, and the spans of the window's
 * sub-second ends), including spans right at bucket edges.
 */
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

t.test('edges from spans minutes apart are summed', async (t) => {
  const collector = await startTestCollector()
  t.teardown(() => collector.close())
  const start = Date.now() - 60 * 60_000
  const offsets = [0, 5 * 60_000 - 0.5, 5 * 60_000, 17 * 60_000, 59 * 60_000]
  for (const [i, offset] of offsets.entries()) {
    const traceId = hexId(16)
    const parent = hexId(8)
    const res = await postJson(
      `${collector.otlpUrl}/v1/traces`,
      jsonTraceRequest({
        gateway: [{ traceId, spanId: parent, name: 'GET /', startMs: start + offset, durationMs: 2 }],
        orders: [
          { traceId, spanId: hexId(8), parentSpanId: parent, name: 'GET /orders', startMs: start + offset + 0.1, durationMs: 1, status: i === 3 ? 2 : 0 },
        ],
      }),
    )
    t.equal(res.status, 200)
  }
  const { status, body } = await getJson(`${collector.apiUrl}/api/dependencies?start=${start}&end=${start + 60 * 60_000}`)
  t.equal(status, 200)
  t.same(body.edges, [{ parent: 'gateway', child: 'orders', callCount: 5, errorCount: 1 }])
  const tooLong = await getJson(`${collector.apiUrl}/api/dependencies?start=0&end=${Date.now()}`)
  t.equal(tooLong.status, 400)
  t.match(tooLong.body.error, /over 31 days/)
})
