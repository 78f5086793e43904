/**
 * The hand-written protobuf encoder against OpenTelemetry's own: both
 * encodings of the same batch are decoded with the official OTLP definitions
 * (the protobufjs root generated from opentelemetry-proto that
 * @opentelemetry/otlp-transformer ships) and compared field by field.
 */
import { createRequire } from 'node:module'
import t from 'tap'
import { TraceProtoEncoder } from '../../src/export/otlp-proto-encode.js'
import { encodeTraceRequest } from '../../src/export/otlp-trace-encode.js'
import { SpanKind, StatusCode } from '../../src/span/span-record.js'
import type { ResourceAttributes, SpanRecord } from '../../src/span/span-record.js'
import { newId } from './fixtures.js'

interface ProtoType {
  decode(bytes: Uint8Array): unknown
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>
}
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/esm/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } }
}
const requestType = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest

/** Every field, defaults included, int64 as decimal strings and bytes as base64: nothing is lost in the comparison. */
function decode(bytes: Uint8Array): Record<string, unknown> {
  return requestType.toObject(requestType.decode(bytes), { longs: String, bytes: String, defaults: true, arrays: true, objects: true })
}

const resource: ResourceAttributes = {
  'service.name': 'checkout',
  'service.instance.id': newId(16),
  'host.name': 'node-7',
  'k8s.pod.name': 'checkout-5d9c7-xq2',
  'process.pid': 4242,
}
const scope = { name: 'tracecar', version: '0.1.0' }

const longString = 'x'.repeat(300)
const unicode = 'grüße, 世界 🚀 \u0000 end'

function everyKindOfSpan(): SpanRecord[] {
  const traceId = newId(16)
  const start = 1_732_543_210_123.456
  const root: SpanRecord = {
    traceId,
    spanId: newId(8),
    parentSpanId: '',
    traceFlags: 1,
    traceState: '',
    name: 'GET /users/:id',
    kind: SpanKind.SERVER,
    startUnixMs: start,
    endUnixMs: start + 3.2501,
    statusCode: StatusCode.UNSET,
    statusMessage: '',
    attributes: {
      'http.request.method': 'GET',
      'url.path': '/users/42',
      'http.response.status_code': 200,
      'server.port': 8080,
      'http.response.body.size': 0,
      'negative.int': -17,
      'big.int': 2 ** 40 + 3,
      'min.safe': Number.MIN_SAFE_INTEGER,
      'max.safe': Number.MAX_SAFE_INTEGER,
      'double.value': 3.14159,
      'negative.double': -0.5,
      'bool.true': true,
      'bool.false': false,
      'empty.string': '',
      'long.string': longString,
      'unicode.string': unicode,
      'string.array': ['a', '', 'ünï', longString],
      'empty.array': [],
    },
    events: [
      { name: 'upstream.connection_ready', timeUnixMs: start + 0.1 },
      { name: 'upstream.request_sent', timeUnixMs: start + 0.25, attributes: {} },
      { name: 'with.attributes', timeUnixMs: start + 1.999999, attributes: { count: 3, ok: true, ratio: 0.25, who: 'me', list: ['x'] } },
      { name: '', timeUnixMs: start + 3.2501 },
    ],
    links: [],
  }
  const child: SpanRecord = {
    traceId,
    spanId: newId(8),
    parentSpanId: root.spanId,
    traceFlags: 0,
    traceState: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    name: 'POST',
    kind: SpanKind.CLIENT,
    startUnixMs: start + 1,
    endUnixMs: start + 2,
    statusCode: StatusCode.ERROR,
    statusMessage: 'upstream refused the connection: ECONNREFUSED 127.0.0.1:9',
    attributes: { 'error.type': 'connection_refused', 'url.full': `http://users.svc:8080/users?q=${unicode}` },
    events: [],
    links: [
      { traceId: newId(16), spanId: newId(8) },
      { traceId: newId(16), spanId: newId(8), traceState: 'vendor=opaque', attributes: { 'link.reason': 'retry-of', attempt: 2 } },
    ],
  }
  const ok: SpanRecord = {
    ...root,
    spanId: newId(8),
    parentSpanId: newId(8),
    traceFlags: 3,
    name: '',
    kind: SpanKind.INTERNAL,
    statusCode: StatusCode.OK,
    statusMessage: '',
    attributes: {},
    events: [],
  }
  const unspecifiedKind: SpanRecord = { ...ok, spanId: newId(8), kind: SpanKind.UNSPECIFIED, startUnixMs: 999.9999, endUnixMs: 1000 }
  return [root, child, ok, unspecifiedKind]
}

t.test('decodes to exactly what the OpenTelemetry transformer encodes, for every field type', async (t) => {
  const spans = everyKindOfSpan()
  const ours = decode(new TraceProtoEncoder({ resource, scope }).encode(spans))
  const theirs = decode(encodeTraceRequest(spans, 'http/protobuf', resource, scope))
  t.same(ours, theirs)

  // Spot checks on the decoded values themselves, so a shared mistake would show too.
  const resourceSpans = ours.resourceSpans as Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ scope: unknown; spans: Array<Record<string, any>> }> }>
  t.equal(resourceSpans.length, 1)
  t.same(resourceSpans[0]!.scopeSpans[0]!.scope, { name: 'tracecar', version: '0.1.0', attributes: [], droppedAttributesCount: 0 })
  const decoded = resourceSpans[0]!.scopeSpans[0]!.spans
  t.equal(decoded.length, 4)
  t.equal(Buffer.from(decoded[0]!.traceId, 'base64').toString('hex'), spans[0]!.traceId)
  t.equal(Buffer.from(decoded[1]!.parentSpanId, 'base64').toString('hex'), spans[0]!.spanId)
  // The epoch-ms double carries ~0.25 µs of precision at today's epoch.
  t.ok(Math.abs(Number(BigInt(decoded[0]!.startTimeUnixNano) - 1_732_543_210_123_456_000n)) < 1000, 'start time to the microsecond')
  t.equal(decoded[0]!.flags, 0x101, 'root: sampled, has-is-remote')
  t.equal(decoded[1]!.flags, 0x300, 'child of a remote parent: not sampled, remote')
  t.equal(decoded[1]!.traceState, spans[1]!.traceState)
  t.same(decoded[1]!.status, { code: StatusCode.ERROR, message: spans[1]!.statusMessage })
  const attr = (name: string): unknown => (decoded[0]!.attributes as Array<{ key: string; value: unknown }>).find((a) => a.key === name)?.value
  t.same(attr('big.int'), { intValue: String(2 ** 40 + 3) })
  t.same(attr('negative.int'), { intValue: '-17' })
  t.same(attr('double.value'), { doubleValue: 3.14159 })
  t.same(attr('bool.false'), { boolValue: false })
  t.same(attr('empty.string'), { stringValue: '' })
  t.same(attr('unicode.string'), { stringValue: unicode })
})

t.test('large batches, reused between calls, stay identical to the transformer', async (t) => {
  const encoder = new TraceProtoEncoder({ resource, scope })
  for (const size of [1, 600, 3]) {
    const spans = Array.from({ length: size }, () => everyKindOfSpan()).flat()
    t.same(decode(encoder.encode(spans)), decode(encodeTraceRequest(spans, 'http/protobuf', resource, scope)), `${spans.length} spans`)
  }
})

t.test('an empty resource and scope version still decode the same', async (t) => {
  const spans = everyKindOfSpan().slice(0, 1)
  const bare = { name: 'tracecar', version: '' }
  t.same(decode(new TraceProtoEncoder({ resource: {}, scope: bare }).encode(spans)), decode(encodeTraceRequest(spans, 'http/protobuf', {}, bare)))
})
