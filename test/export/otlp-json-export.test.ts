import t from 'tap'
import { createOtlpSpanExporter } from '../../src/export/index.js'
import { SpanKind, StatusCode } from '../../src/span/span-record.js'
import type { SpanRecord } from '../../src/span/span-record.js'
import { newId, newRegistry, testConfig } from './fixtures.js'
import { startOtlpReceiver } from './otlp-receiver.js'

t.test('http/json: the request is OTLP/JSON with hex ids and string nanoseconds, and decodes', async (t) => {
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const span: SpanRecord = {
    traceId: newId(16),
    spanId: newId(8),
    parentSpanId: newId(8),
    traceFlags: 1,
    traceState: '',
    name: 'POST /orders',
    kind: SpanKind.SERVER,
    startUnixMs: 1_700_000_000_000.5,
    endUnixMs: 1_700_000_000_010.25,
    statusCode: StatusCode.OK,
    statusMessage: '',
    attributes: { 'http.response.status_code': 201, 'tracecar.ratio': 1.5, 'http.route': '/orders' },
    events: [{ name: 'retry', timeUnixMs: 1_700_000_000_001.125 }],
    links: [],
  }
  const exporter = createOtlpSpanExporter({
    config: testConfig({ endpoint: receiver.url, protocol: 'http/json' }),
    resource: { 'service.name': 'orders' },
    registry: newRegistry(),
    log: () => {},
  })
  exporter.export(span)
  const [got] = await receiver.waitForAcceptedSpans(1)
  await exporter.shutdown(1000)

  const request = receiver.requests[0]!
  t.equal(request.headers['content-type'], 'application/json')
  t.notOk(request.headers['content-encoding'], 'no compression unless asked')
  const raw = JSON.parse(request.rawBody.toString('utf8'))
  const rawSpan = raw.resourceSpans[0].scopeSpans[0].spans[0]
  t.equal(rawSpan.traceId, span.traceId, 'JSON carries ids as hex strings (OTLP/JSON rule)')
  t.equal(typeof rawSpan.startTimeUnixNano, 'string', 'uint64 nanoseconds as a string, not a lossy number')

  t.equal(got!.traceId, span.traceId)
  t.equal(got!.spanId, span.spanId)
  t.equal(got!.parentSpanId, span.parentSpanId)
  t.equal(got!.startTimeUnixNano, '1700000000000500000')
  t.equal(got!.endTimeUnixNano, '1700000000010250000')
  t.equal(got!.kind, 2)
  t.same(got!.status, { code: 1, message: '' })
  t.same(got!.attributes, {
    'http.response.status_code': { type: 'int', value: '201' },
    'tracecar.ratio': { type: 'double', value: 1.5 },
    'http.route': { type: 'string', value: '/orders' },
  })
  t.same(got!.events, [{ name: 'retry', timeUnixNano: '1700000000001125000', attributes: {} }])
  t.same(got!.resource, { 'service.name': { type: 'string', value: 'orders' } })
})
