import t from 'tap'
import { createOtlpSpanExporter } from '../../src/export/index.js'
import { SpanKind, StatusCode } from '../../src/span/span-record.js'
import type { SpanRecord } from '../../src/span/span-record.js'
import { metricValue, newId, newRegistry, testConfig } from './fixtures.js'
import { startOtlpReceiver } from './otlp-receiver.js'

const traceId = newId(16)
const rootId = newId(8)
const childId = newId(8)
const linkedTrace = newId(16)
const linkedSpan = newId(8)

const root: SpanRecord = {
  traceId,
  spanId: rootId,
  parentSpanId: '',
  traceFlags: 1,
  traceState: 'vendor=abc,other=1',
  name: 'GET /users/:id',
  kind: SpanKind.SERVER,
  // Sub-millisecond fractions must survive as nanoseconds.
  startUnixMs: 1_700_000_000_123.456,
  endUnixMs: 1_700_000_000_130.75,
  statusCode: StatusCode.ERROR,
  statusMessage: 'upstream said 503',
  attributes: {
    'http.request.method': 'GET',
    'http.response.status_code': 503,
    'tracecar.ratio': 0.25,
    'tracecar.sampled': true,
    'tracecar.tags': ['a', 'b'],
  },
  events: [{ name: 'upstream.headers', timeUnixMs: 1_700_000_000_125.5, attributes: { 'tracecar.bytes': 42 } }],
  links: [{ traceId: linkedTrace, spanId: linkedSpan, traceState: 'k=v', attributes: { 'link.kind': 'b3' } }],
}

const child: SpanRecord = {
  ...root,
  spanId: childId,
  parentSpanId: rootId,
  traceState: '',
  name: 'GET',
  kind: SpanKind.CLIENT,
  statusCode: StatusCode.UNSET,
  statusMessage: '',
  attributes: { 'server.address': 'backend' },
  events: [],
  links: [],
}

t.test('protobuf export: ids, parents, typed attributes, events, links and ns timestamps arrive as sent', async (t) => {
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const lines: string[] = []
  const exporter = createOtlpSpanExporter({
    config: testConfig({ endpoint: receiver.url, headers: { authorization: 'Bearer s3cret', 'x-tenant': 'blue' }, compression: 'gzip' }),
    resource: { 'service.name': 'checkout', 'service.instance.id': 'pod-1' },
    registry,
    log: (line) => lines.push(line),
  })
  exporter.export(root)
  exporter.export(child)
  const spans = await receiver.waitForAcceptedSpans(2)
  const report = await exporter.shutdown(2000)

  const request = receiver.requests[0]!
  t.equal(request.headers['content-type'], 'application/x-protobuf')
  t.equal(request.headers['content-encoding'], 'gzip', 'gzip applied')
  t.same([...request.rawBody.subarray(0, 2)], [0x1f, 0x8b], 'the body on the wire is gzip')
  t.equal(request.headers.authorization, 'Bearer s3cret', 'configured headers are sent')
  t.equal(request.headers['x-tenant'], 'blue')

  const got = new Map(spans.map((s) => [s.spanId, s]))
  const r = got.get(rootId)!
  const c = got.get(childId)!
  t.ok(r && c, 'both spans arrived')
  t.equal(r.traceId, traceId)
  t.equal(r.parentSpanId, '', 'root has no parent')
  t.equal(c.parentSpanId, rootId, 'child points at its parent')
  t.equal(c.traceId, traceId)
  t.equal(r.name, 'GET /users/:id')
  t.equal(r.kind, 2, 'SERVER')
  t.equal(c.kind, 3, 'CLIENT')
  t.equal(r.traceState, 'vendor=abc,other=1')
  t.equal(r.flags & 0xff, 1, 'W3C sampled flag in the low byte')
  t.equal(c.flags & 0x300, 0x300, 'a child span marks its parent as remote')
  t.same(r.status, { code: 2, message: 'upstream said 503' })

  // .456 ms is not exact in a double (2^-12 ms steps here), so allow that step;
  // .75 and .5 are exact and must arrive to the nanosecond.
  const startErrorNs = BigInt(r.startTimeUnixNano) - 1_700_000_000_123_456_000n
  t.ok(startErrorNs >= -245n && startErrorNs <= 245n, `start in unix ns keeps the sub-ms fraction (${r.startTimeUnixNano})`)
  t.equal(r.endTimeUnixNano, '1700000000130750000', 'end in unix ns, exact')

  t.same(r.attributes, {
    'http.request.method': { type: 'string', value: 'GET' },
    'http.response.status_code': { type: 'int', value: '503' },
    'tracecar.ratio': { type: 'double', value: 0.25 },
    'tracecar.sampled': { type: 'bool', value: true },
    'tracecar.tags': {
      type: 'array',
      value: [
        { type: 'string', value: 'a' },
        { type: 'string', value: 'b' },
      ],
    },
  })
  t.same(r.events, [{ name: 'upstream.headers', timeUnixNano: '1700000000125500000', attributes: { 'tracecar.bytes': { type: 'int', value: '42' } } }])
  t.same(r.links, [{ traceId: linkedTrace, spanId: linkedSpan, traceState: 'k=v', attributes: { 'link.kind': { type: 'string', value: 'b3' } } }])
  t.same(r.resource, { 'service.name': { type: 'string', value: 'checkout' }, 'service.instance.id': { type: 'string', value: 'pod-1' } })
  t.equal(r.scope.name, 'tracecar')

  t.same(report, { exported: 2, dropped: 0 })
  t.equal(await metricValue(registry, 'tracecar_exporter_spans_exported_total'), 2)
  t.equal(await metricValue(registry, 'tracecar_exporter_batches_sent_total', { signal: 'traces' }), 1)
  t.equal(await metricValue(registry, 'tracecar_exporter_export_attempts_total', { signal: 'traces' }), 1)
  t.equal(lines.length, 1, 'one summary line at shutdown')
  t.match(lines[0], /2 spans exported, 0 dropped/)
})

t.test('a full batch is sent without waiting for the schedule delay', async (t) => {
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const exporter = createOtlpSpanExporter({
    config: testConfig({ endpoint: receiver.url, maxExportBatchSize: 3, scheduledDelayMs: 60_000 }),
    resource: {},
    registry: newRegistry(),
    log: () => {},
  })
  t.teardown(() => exporter.shutdown(100))
  for (const span of [root, child, { ...child, spanId: newId(8) }]) exporter.export(span)
  const spans = await receiver.waitForAcceptedSpans(3, 5000)
  t.equal(spans.length, 3)
  t.equal(receiver.requests.length, 1, 'one request carried the batch')
})
