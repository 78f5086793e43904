/**
 * Log records -> OTLP `ExportLogsServiceRequest` bytes.
 *
 * Protobuf (the default): `ProtoLogBatch` is the batch the main thread writes
 * each access log record into, field by field with the spans' `ProtoWriter`,
 * when its exchange ends. Like `ProtoSpanBatch` its memory is shared, with
 * the envelope (resource and scope, encoded once per exporter) written in
 * front when it is sealed (otlp-proto-batch.ts), so an export worker only
 * compresses and POSTs the body. The mapping rules are otlp-transformer's
 * (`createExportLogsServiceRequest`): test/export/otlp-log-encode.test.ts
 * decodes these bytes and the transformer's with the official definitions
 * and compares every field.
 *
 * OTLP/JSON (`encodeLogsJson`): the records travel to the worker as objects
 * and are encoded there, as the spans' JSON is.
 *
 * Field numbers: opentelemetry/proto/logs/v1/logs.proto.
 */
import type { AttributeValue, ResourceAttributes } from '../span/span-record.js'
import { encodedBatchBytes, OtlpRequestFrame, SharedProtoBatch } from './otlp-proto-batch.js'
import type { LogRecordData } from './otlp-log-record.js'
import { splitUnixMs, unixMsSplit, writeAnyValue, writeAttributes, writeHexField, writeStringField, writeUnixNanos, writeVarintField } from './proto-writer.js'
import type { ProtoWriter } from './proto-writer.js'
import { LOG_TAG as TAG } from '../otlp-wire/otlp-field-tags.js'

/** One record as a `ScopeLogs.log_records` entry. */
function writeLogRecord(w: ProtoWriter, record: LogRecordData): void {
  w.byte(TAG.scopeLogsLogRecord)
  // An access log record is a few hundred bytes: its length fits the two-byte slot.
  const length = w.beginLongMessage()
  w.byte(TAG.time)
  writeUnixNanos(w, record.timeUnixMs)
  writeVarintField(w, TAG.severityNumber, record.severityNumber)
  writeStringField(w, TAG.severityText, record.severityText)
  w.byte(TAG.body)
  const body = w.beginMessage()
  writeAnyValue(w, record.body)
  w.endMessage(body)
  writeAttributes(w, TAG.attribute, record.attributes)
  // A record in no trace carries no trace context (the transformer writes flags from the span context only).
  if (record.traceId !== '') {
    w.byte(TAG.flags)
    w.fixed32(record.traceFlags & 0xff)
    w.byte(TAG.traceId)
    w.hexBytes(record.traceId)
    writeHexField(w, TAG.spanId, record.spanId)
  }
  // The proxy observes the record when it happens.
  w.byte(TAG.observedTime)
  writeUnixNanos(w, record.timeUnixMs)
  w.endLongMessage(length)
}

/**
 * The log batch being filled on the main thread: `add` writes one record;
 * `seal` (SharedProtoBatch) writes the envelope in front and returns the
 * request body.
 */
export class ProtoLogBatch extends SharedProtoBatch {
  /** Appends one record; one that cannot be written leaves nothing behind. */
  add(record: LogRecordData): void {
    const at = this.w.pos
    try {
      writeLogRecord(this.w, record)
    } catch (err) {
      this.w.pos = at
      throw err
    }
    this.count++
  }
}

/** Records -> one protobuf request body, a fresh copy (tests, bench): the proxy's batch, written at once. */
export function encodeLogsProtobuf(records: readonly LogRecordData[], resource: ResourceAttributes, scope: { name: string; version: string }): Uint8Array {
  const batch = new ProtoLogBatch(new OtlpRequestFrame({ resource, scope }), 64 * 1024)
  for (const record of records) batch.add(record)
  return encodedBatchBytes(batch.seal()).slice()
}

/** Epoch ms -> unix nanoseconds as a decimal string, split at whole seconds as the protobuf times are. */
function nanos(unixMs: number): string {
  splitUnixMs(unixMs)
  return (BigInt(unixMsSplit.seconds) * 1_000_000_000n + BigInt(unixMsSplit.nanos)).toString()
}

function jsonAnyValue(v: AttributeValue): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v }
  if (typeof v === 'boolean') return { boolValue: v }
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v }
  return { arrayValue: { values: v.map(jsonAnyValue) } }
}

function jsonAttributes(attrs: Record<string, AttributeValue>): unknown[] {
  return Object.keys(attrs)
    .filter((k) => attrs[k] !== undefined)
    .map((key) => ({ key, value: jsonAnyValue(attrs[key]!) }))
}

/** Records -> an OTLP/JSON request body (in the export worker). */
export function encodeLogsJson(records: readonly LogRecordData[], resource: ResourceAttributes, scope: { name: string; version: string }): Uint8Array {
  const body = {
    resourceLogs: [
      {
        resource: { attributes: jsonAttributes(resource) },
        scopeLogs: [
          {
            scope,
            logRecords: records.map((r) => ({
              timeUnixNano: nanos(r.timeUnixMs),
              observedTimeUnixNano: nanos(r.timeUnixMs),
              severityNumber: r.severityNumber,
              severityText: r.severityText,
              body: { stringValue: r.body },
              attributes: jsonAttributes(r.attributes),
              flags: r.traceId === '' ? 0 : r.traceFlags & 0xff,
              traceId: r.traceId,
              spanId: r.spanId,
            })),
          },
        ],
      },
    ],
  }
  return Buffer.from(JSON.stringify(body))
}
