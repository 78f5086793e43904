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
import { StatusCode } from '../../src/span/span-record.js'
import type { ResourceAttributes } from '../../src/span/span-record.js'
import { everyKindOfSpan, unicode } from './every-kind-of-span.js'
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

t.test('decodes to exactly what the OpenTelemetry transformer encodes, for every field type', async (t) => {
  const spans = everyKindOfSpan()
  const ours = decode(new TraceProtoEncoder({ resource, scope }).encode(spans))
  const theirs = decode(encodeTraceRequest(spans, 'http/protobuf', resource, scope))
  t.same(ours, theirs)

  // Spot checks on the decoded values themselves, so a shared mistake would show too.
  const resourceSpans = ours.resourceSpans as Array<{
    resource: { attributes: unknown[] }
    scopeSpans: Array<{ scope: unknown; spans: Array<Record<string, any>> }>
  }>
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

t.test('spans of every length class decode the same: under 128 bytes, ordinary, over 16 KiB, with non-ASCII keys and values', async (t) => {
  const encoder = new TraceProtoEncoder({ resource, scope })
  const base = everyKindOfSpan()[0]!
  const tiny = { ...base, name: '', traceState: '', attributes: {}, events: [], links: [] }
  const huge = { ...base, attributes: { 'http.request.header.cookie': 'c'.repeat(20_000), x: 1 } }
  const boundary = Array.from({ length: 140 }, (_, i) => ({ ...base, attributes: { k: 'v'.repeat(i), n: 2 ** 31 - 1 + (i % 3) } }))
  const nonAscii = { ...base, attributes: { 'clé.non.ascii': 'valeur', 'ascii.key': 'välue', port: 0, neg: -1 } }
  for (const [name, spans] of Object.entries({ tiny: [tiny], huge: [huge], 'attribute lengths 0-139': boundary, 'non-ASCII': [nonAscii] })) {
    t.same(decode(encoder.encode(spans)), decode(encodeTraceRequest(spans, 'http/protobuf', resource, scope)), name)
  }
})
