/**
 * LogRecordData[] → OTLP ExportLogsServiceRequest bytes, protobuf (written
 * field by field with protobufjs' Writer; field numbers from
 * opentelemetry/proto/logs/v1/logs.proto) or OTLP/JSON; and the reader of
 * the response's partial success. Runs in the log export worker.
 */
import protobuf from 'protobufjs'
import type { AttributeValue, ResourceAttributes } from '../span/span-record.js'
import type { LogRecordData } from './otlp-log-record.js'

const { Writer, Reader } = protobuf

function nanos(unixMs: number): string {
  // Whole milliseconds exactly, the fraction to the nearest nanosecond.
  const whole = Math.floor(unixMs)
  return (BigInt(whole) * 1_000_000n + BigInt(Math.round((unixMs - whole) * 1e6))).toString()
}

function writeAnyValue(w: protobuf.Writer, v: AttributeValue): void {
  w.fork()
  if (typeof v === 'string') w.uint32((1 << 3) | 2).string(v)
  else if (typeof v === 'boolean') w.uint32((2 << 3) | 0).bool(v)
  else if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) w.uint32((3 << 3) | 0).int64(v)
    else w.uint32((4 << 3) | 1).double(v)
  } else {
    // ArrayValue { repeated AnyValue values = 1 }
    w.uint32((5 << 3) | 2).fork()
    for (const item of v) {
      w.uint32((1 << 3) | 2)
      writeAnyValue(w, item)
    }
    w.ldelim()
  }
  w.ldelim()
}

function writeAttributes(w: protobuf.Writer, field: number, attrs: Record<string, AttributeValue>): void {
  for (const key of Object.keys(attrs)) {
    const value = attrs[key]
    if (value === undefined) continue
    w.uint32((field << 3) | 2).fork()
    w.uint32((1 << 3) | 2).string(key)
    w.uint32((2 << 3) | 2)
    writeAnyValue(w, value)
    w.ldelim()
  }
}

export function encodeLogsProtobuf(records: readonly LogRecordData[], resource: ResourceAttributes, scope: { name: string; version: string }): Uint8Array {
  const w = Writer.create()
  w.uint32((1 << 3) | 2).fork() // resource_logs
  w.uint32((1 << 3) | 2).fork() // resource
  writeAttributes(w, 1, resource)
  w.ldelim()
  w.uint32((2 << 3) | 2).fork() // scope_logs
  w.uint32((1 << 3) | 2).fork() // scope
  w.uint32((1 << 3) | 2).string(scope.name)
  if (scope.version !== '') w.uint32((2 << 3) | 2).string(scope.version)
  w.ldelim()
  for (const r of records) {
    w.uint32((2 << 3) | 2).fork() // log_records
    const t = nanos(r.timeUnixMs)
    w.uint32((1 << 3) | 1).fixed64(t)
    w.uint32((11 << 3) | 1).fixed64(t)
    if (r.severityNumber !== 0) w.uint32((2 << 3) | 0).int32(r.severityNumber)
    if (r.severityText !== '') w.uint32((3 << 3) | 2).string(r.severityText)
    w.uint32((5 << 3) | 2)
    writeAnyValue(w, r.body)
    writeAttributes(w, 6, r.attributes)
    if (r.traceId !== '') {
      w.uint32((8 << 3) | 5).fixed32(r.traceFlags & 0xff)
      w.uint32((9 << 3) | 2).bytes(Buffer.from(r.traceId, 'hex'))
      if (r.spanId !== '') w.uint32((10 << 3) | 2).bytes(Buffer.from(r.spanId, 'hex'))
    }
    w.ldelim()
  }
  w.ldelim()
  w.ldelim()
  return w.finish()
}

function jsonAnyValue(v: AttributeValue): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v }
  if (typeof v === 'boolean') return { boolValue: v }
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v }
  return { arrayValue: { values: v.map(jsonAnyValue) } }
}

function jsonAttributes(attrs: Record<string, AttributeValue>): unknown[] {
  return Object.keys(attrs).filter((k) => attrs[k] !== undefined).map((key) => ({ key, value: jsonAnyValue(attrs[key]!) }))
}

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

/** ExportLogsServiceResponse.partial_success (protobuf field 1: rejected_log_records = 1, error_message = 2) or its JSON form. */
export function readLogsPartialSuccess(body: Uint8Array, contentType: string): { rejected: number; message: string } {
  if (body.length === 0) return { rejected: 0, message: '' }
  try {
    if (contentType.includes('json')) {
      const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string } }
      const p = parsed.partialSuccess
      return { rejected: Number(p?.rejectedLogRecords ?? 0) || 0, message: p?.errorMessage ?? '' }
    }
    const outer = Reader.create(body)
    while (outer.pos < outer.len) {
      const tag = outer.uint32()
      if (tag >>> 3 !== 1) {
        outer.skipType(tag & 7)
        continue
      }
      const inner = Reader.create(outer.bytes())
      let rejected = 0
      let message = ''
      while (inner.pos < inner.len) {
        const t = inner.uint32()
        if (t >>> 3 === 1) rejected = Number(inner.int64().toString())
        else if (t >>> 3 === 2) message = inner.string()
        else inner.skipType(t & 7)
      }
      return { rejected, message }
    }
  } catch {
    // An unreadable 2xx body: the records were accepted.
  }
  return { rejected: 0, message: '' }
}
