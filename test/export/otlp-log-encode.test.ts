/**
 * The hand-written log encoder against OpenTelemetry's own: both encodings of
 * the same records are decoded with the official OTLP definitions (the
 * protobufjs root generated from opentelemetry-proto that
 * @opentelemetry/otlp-transformer ships) and compared field by field; the
 * transformer's `ProtobufLogsSerializer` is given SDK-shaped log records
 * built from ours.
 */
import { createRequire } from 'node:module'
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer'
import t from 'tap'
import { encodeLogsJson, encodeLogsProtobuf, ProtoLogBatch } from '../../src/export/otlp-log-encode.js'
import type { LogRecordData } from '../../src/export/otlp-log-record.js'
import { encodedBatchBytes, OtlpRequestFrame } from '../../src/export/otlp-proto-batch.js'
import { unixMsToHrTime } from '../../src/export/otlp-trace-encode.js'
import type { ResourceAttributes } from '../../src/span/span-record.js'
import { unicode } from './every-kind-of-span.js'
import { newId } from './fixtures.js'

interface ProtoType {
  decode(bytes: Uint8Array): unknown
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>
}
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: ProtoType } } } } }
}
const requestType = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest

/** Every field, defaults included, int64 as decimal strings and bytes as base64: nothing is lost in the comparison. */
function decode(bytes: Uint8Array): Record<string, any> {
  return requestType.toObject(requestType.decode(bytes), { longs: String, bytes: String, defaults: true, arrays: true, objects: true })
}

type ReadableLogRecords = Parameters<typeof ProtobufLogsSerializer.serializeRequest>[0]

/** What the transformer encodes for the same records (the subset of an SDK ReadableLogRecord it reads). */
function transformerBytes(records: readonly LogRecordData[], resourceAttributes: ResourceAttributes, scope: { name: string; version: string }): Uint8Array {
  const resource = { attributes: resourceAttributes }
  const readable = records.map((r) => ({
    hrTime: unixMsToHrTime(r.timeUnixMs),
    hrTimeObserved: unixMsToHrTime(r.timeUnixMs),
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: r.body,
    attributes: r.attributes,
    droppedAttributesCount: 0,
    spanContext: r.traceId === '' ? undefined : { traceId: r.traceId, spanId: r.spanId, traceFlags: r.traceFlags },
    resource,
    instrumentationScope: scope,
  })) as unknown as ReadableLogRecords
  const bytes = ProtobufLogsSerializer.serializeRequest(readable)
  if (bytes === undefined) throw new Error('the transformer produced no body')
  return bytes
}

const resource: ResourceAttributes = {
  'service.name': 'checkout',
  'service.instance.id': newId(16),
  'host.name': 'node-7',
  'process.pid': 4242,
}
const scope = { name: 'tracecar/access-log', version: '' }

/** An access log record as OtlpAccessLog builds it. */
function accessRecord(overrides: Partial<LogRecordData> = {}): LogRecordData {
  return {
    timeUnixMs: 1_732_543_210_123.456,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'request GET /cart 200 12.345ms',
    traceId: newId(16),
    spanId: newId(8),
    traceFlags: 1,
    attributes: {
      service: 'checkout',
      kind: 'inbound',
      method: 'GET',
      path: '/cart',
      status: 200,
      duration_ms: 12.345,
      bytes_in: 0,
      bytes_out: 1532,
      client: '10.0.0.7',
      parent_span_id: newId(8),
      user_agent: 'curl/8.5.0',
    },
    ...overrides,
  }
}

function everyKindOfRecord(): LogRecordData[] {
  return [
    accessRecord(),
    accessRecord({
      severityNumber: 17,
      severityText: 'ERROR',
      body: 'request POST /pay 503 2001ms',
      traceFlags: 0,
      attributes: { status: 503, error_type: 'upstream_timeout' },
    }),
    // No trace: no trace id, span id or flags.
    accessRecord({ traceId: '', spanId: '', traceFlags: 0, severityNumber: 13, severityText: 'WARN' }),
    // Under 128 bytes: no attributes, no severity.
    accessRecord({ severityNumber: 0, severityText: '', body: '', attributes: {} }),
    // Over 16 KiB, non-ASCII, every attribute type.
    accessRecord({
      body: `request GET /${unicode} 200 1ms`,
      attributes: {
        path: `/${'p'.repeat(20_000)}`,
        'clé.non.ascii': 'valeur',
        user_agent: unicode,
        'big.int': 2 ** 40 + 3,
        'negative.int': -17,
        'double.value': 3.14159,
        'bool.false': false,
        'empty.string': '',
        'array.value': ['a', 1, true],
      },
    }),
  ]
}

t.test('decodes to exactly what the OpenTelemetry transformer encodes, for every kind of record', async (t) => {
  const records = everyKindOfRecord()
  const ours = decode(encodeLogsProtobuf(records, resource, scope))
  t.same(ours, decode(transformerBytes(records, resource, scope)))

  // Spot checks on the decoded values themselves, so a shared mistake would show too.
  t.equal(ours.resourceLogs.length, 1)
  const scopeLogs = ours.resourceLogs[0].scopeLogs
  t.equal(scopeLogs.length, 1)
  t.same(scopeLogs[0].scope, { name: 'tracecar/access-log', version: '', attributes: [], droppedAttributesCount: 0 })
  const decoded = scopeLogs[0].logRecords as Array<Record<string, any>>
  t.equal(decoded.length, records.length)
  t.equal(Buffer.from(decoded[0]!.traceId, 'base64').toString('hex'), records[0]!.traceId)
  t.equal(Buffer.from(decoded[0]!.spanId, 'base64').toString('hex'), records[0]!.spanId)
  t.equal(decoded[0]!.flags, 1)
  t.equal(decoded[0]!.severityNumber, 9)
  t.equal(decoded[0]!.severityText, 'INFO')
  t.same(decoded[0]!.body, { stringValue: records[0]!.body })
  t.ok(Math.abs(Number(BigInt(decoded[0]!.timeUnixNano) - 1_732_543_210_123_456_000n)) < 1000, 'time to the microsecond')
  t.equal(decoded[0]!.observedTimeUnixNano, decoded[0]!.timeUnixNano)
  const attr = (i: number, name: string): unknown => (decoded[i]!.attributes as Array<{ key: string; value: unknown }>).find((a) => a.key === name)?.value
  t.same(attr(0, 'status'), { intValue: '200' })
  t.same(attr(0, 'duration_ms'), { doubleValue: 12.345 })
  t.same(attr(4, 'big.int'), { intValue: String(2 ** 40 + 3) })
  t.same(attr(4, 'user_agent'), { stringValue: unicode })
  t.equal(decoded[2]!.traceId, '', 'a record in no trace has no trace id')
  t.equal(decoded[2]!.flags, 0)
})

t.test('a batch filled record by record, resealed after growing, is the same request', async (t) => {
  const records = Array.from({ length: 300 }, () => everyKindOfRecord()).flat()
  const batch = new ProtoLogBatch(new OtlpRequestFrame({ resource, scope }), 1024)
  for (const record of records) batch.add(record)
  const sealed = batch.seal()
  t.equal(sealed.count, records.length)
  t.type(sealed.buffer, SharedArrayBuffer, 'the body is in shared memory')
  t.same(decode(encodedBatchBytes(sealed)), decode(transformerBytes(records, resource, scope)))
})

t.test('an empty resource and a scope version decode the same', async (t) => {
  const versioned = { name: 'tracecar/access-log', version: '1.2.3' }
  const one = [accessRecord()]
  t.same(decode(encodeLogsProtobuf(one, {}, versioned)), decode(transformerBytes(one, {}, versioned)))
})

t.test('a record that cannot be written leaves nothing behind', async (t) => {
  const batch = new ProtoLogBatch(new OtlpRequestFrame({ resource, scope }), 1024)
  batch.add(accessRecord())
  const before = batch.byteLength
  const broken = accessRecord()
  Object.defineProperty(broken.attributes, 'boom', {
    enumerable: true,
    get() {
      throw new Error('boom')
    },
  })
  t.throws(() => batch.add(broken), /boom/)
  t.equal(batch.byteLength, before)
  t.equal(batch.count, 1)
  t.equal(decode(encodedBatchBytes(batch.seal())).resourceLogs[0].scopeLogs[0].logRecords.length, 1)
})

t.test('OTLP/JSON: the same records as the protobuf request', async (t) => {
  const records = everyKindOfRecord().slice(0, 3)
  const json = JSON.parse(Buffer.from(encodeLogsJson(records, resource, scope)).toString('utf8'))
  const proto = decode(encodeLogsProtobuf(records, resource, scope))
  const jsonRecords = json.resourceLogs[0].scopeLogs[0].logRecords as Array<Record<string, any>>
  const protoRecords = proto.resourceLogs[0].scopeLogs[0].logRecords as Array<Record<string, any>>
  t.equal(jsonRecords.length, protoRecords.length)
  for (let i = 0; i < records.length; i++) {
    t.equal(jsonRecords[i]!.timeUnixNano, protoRecords[i]!.timeUnixNano, `record ${i}: time`)
    t.equal(jsonRecords[i]!.traceId, records[i]!.traceId)
    t.equal(jsonRecords[i]!.severityNumber, protoRecords[i]!.severityNumber)
    t.equal(jsonRecords[i]!.attributes.length, protoRecords[i]!.attributes.length)
  }
})
