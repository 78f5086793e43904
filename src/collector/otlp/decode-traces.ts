/**
 * ExportTraceServiceRequest (parsed OTLP/JSON, or decoded by protobufjs) ->
 * spans ready to store. Spans with an invalid trace or span id are rejected
 * one by one (OTLP partial success); everything else is kept as sent.
 * Protobuf bodies take decode-traces-protobuf.ts, which gives the same spans
 * straight from the bytes; both build them with ingestSpanOf.
 */
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../model/stored-span.js'
import type { AttributeMap, StoredSpan, StoredSpanEvent, StoredSpanLink } from '../model/stored-span.js'
import { walkOtlpRequest } from './otlp-request-walk.js'
import type { DecodedBatch, OtlpRecordContext } from './otlp-request-walk.js'
import { idBytes, isAllZeroHex, nanosToMs, readAttributes, readEnum, readIdHex, readNanos, readRecordTimes } from './otlp-values.js'
import type { TimeField } from './otlp-values.js'

/** A span plus the exact values the store indexes. */
export type { DecodedBatch } from './otlp-request-walk.js'

export interface IngestSpan {
  span: StoredSpan
  /** The ids as bytes, as the store keeps them (views of the request body when it was protobuf). */
  traceIdBytes: Buffer
  spanIdBytes: Buffer
  parentSpanIdBytes: Buffer | null
  startNs: bigint
  endNs: bigint
  kind: number
  statusCode: number
  flags: number
  /** JSON of span.resource, the key under which the store dedupes resources. */
  resourceJson: string
}

const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
}
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }

export const TRACE_SHAPE = { resources: ['resourceSpans', 'resource_spans'], scopes: ['scopeSpans', 'scope_spans'], records: ['spans', 'spans'] } as const

const START_TIME: TimeField = ['startTimeUnixNano', 'start_time_unix_nano']
const END_TIME: TimeField = ['endTimeUnixNano', 'end_time_unix_nano']

/** Throws OtlpValueError when the request's structure is wrong (the whole request is then a 400). */
export function decodeTraceRequest(request: unknown): DecodedBatch<IngestSpan> {
  return walkOtlpRequest(request, TRACE_SHAPE, decodeSpan)
}

/**
 * A span's fields once read and checked, from either decoder (decoded
 * messages here, protobuf bytes in decode-traces-protobuf.ts); ingestSpanOf
 * derives the rest, so that both make the same IngestSpan of the same span.
 */
export interface SpanFields {
  traceId: string
  spanId: string
  /** '' when the span has none; an all-zero id means none too. */
  parentSpanId: string
  traceIdBytes: Buffer
  spanIdBytes: Buffer
  /** The parent id's bytes when parentSpanId is not '' (may be null when it is). */
  parentSpanIdBytes: Buffer | null
  name: string
  traceState: string
  /** OTLP enum values; out of range ones are clamped. */
  kind: number
  statusCode: number
  statusMessage: string
  startNs: bigint
  /** As sent: an end before the start is stored as the start. */
  endNs: bigint
  flags: number
  attributes: AttributeMap
  events: StoredSpanEvent[]
  links: StoredSpanLink[]
}

export function ingestSpanOf(fields: SpanFields, context: OtlpRecordContext): IngestSpan {
  const { startNs, flags } = fields
  const endNs = fields.endNs < startNs ? startNs : fields.endNs
  const kind = Math.min(Math.max(fields.kind, 0), 5)
  const statusCode = Math.min(Math.max(fields.statusCode, 0), 2)
  const parentSpanId = fields.parentSpanId === '' || isAllZeroHex(fields.parentSpanId) ? null : fields.parentSpanId
  const span: StoredSpan = {
    traceId: fields.traceId,
    spanId: fields.spanId,
    parentSpanId,
    name: fields.name,
    kind: SPAN_KIND_NAMES[kind]!,
    service: context.service,
    startTimeUnixMs: nanosToMs(startNs),
    endTimeUnixMs: nanosToMs(endNs),
    durationMs: nanosToMs(endNs - startNs),
    startTimeUnixNano: startNs.toString(),
    endTimeUnixNano: endNs.toString(),
    traceState: fields.traceState,
    status: { code: STATUS_CODE_NAMES[statusCode]!, message: fields.statusMessage },
    attributes: fields.attributes,
    resource: context.resource,
    scope: context.scope,
    events: fields.events,
    links: fields.links,
  }
  return {
    span,
    traceIdBytes: fields.traceIdBytes,
    spanIdBytes: fields.spanIdBytes,
    parentSpanIdBytes: parentSpanId === null ? null : fields.parentSpanIdBytes,
    startNs,
    endNs,
    kind,
    statusCode,
    flags,
    resourceJson: context.resourceJson,
  }
}

/** Pushes the span, or returns why it was rejected. */
function decodeSpan(raw: Record<string, unknown>, context: OtlpRecordContext, into: IngestSpan[]): string | undefined {
  const { where } = context
  const rawTraceId = raw.traceId ?? raw.trace_id
  const rawSpanId = raw.spanId ?? raw.span_id
  const rawParent = raw.parentSpanId ?? raw.parent_span_id
  const traceId = readIdHex(rawTraceId, 16)
  if (traceId === undefined || traceId === '' || isAllZeroHex(traceId)) return `${where}: traceId must be 16 bytes (32 hex characters), not all zero`
  const spanId = readIdHex(rawSpanId, 8)
  if (spanId === undefined || spanId === '' || isAllZeroHex(spanId)) return `${where}: spanId must be 8 bytes (16 hex characters), not all zero`
  const parent = readIdHex(rawParent, 8)
  if (parent === undefined) return `${where}: parentSpanId must be 8 bytes (16 hex characters) or empty`
  // Every number the store binds is checked here, so that one bad record is
  // refused alone instead of failing the whole batch's transaction.
  const times = readRecordTimes(raw, where, START_TIME, END_TIME)
  if (typeof times === 'string') return times
  const statusObject = raw.status as { code?: unknown; message?: unknown } | null | undefined
  const traceState = raw.traceState ?? raw.trace_state
  into.push(
    ingestSpanOf(
      {
        traceId,
        spanId,
        parentSpanId: parent,
        traceIdBytes: idBytes(rawTraceId, traceId),
        spanIdBytes: idBytes(rawSpanId, spanId),
        parentSpanIdBytes: parent === '' ? null : idBytes(rawParent, parent),
        name: typeof raw.name === 'string' ? raw.name : '',
        traceState: typeof traceState === 'string' ? traceState : '',
        kind: readEnum(raw.kind, KIND_NAMES),
        statusCode: readEnum(statusObject?.code, STATUS_NAMES),
        statusMessage: typeof statusObject?.message === 'string' ? statusObject.message : '',
        startNs: times.first,
        endNs: times.second,
        flags: times.flags,
        attributes: readAttributes(raw.attributes),
        events: readEvents(raw.events),
        links: readLinks(raw.links),
      },
      context,
    ),
  )
  return undefined
}

/** Each entry of a repeated message that `read` makes something of; [] when absent. */
function readEach<T>(value: unknown, read: (raw: Record<string, unknown>) => T | undefined): T[] {
  if (!Array.isArray(value) || value.length === 0) return []
  const out: T[] = []
  for (const raw of value as Array<Record<string, unknown> | null>) {
    if (raw == null) continue
    const item = read(raw)
    if (item !== undefined) out.push(item)
  }
  return out
}

function readEvents(value: unknown): StoredSpanEvent[] {
  return readEach(value, (raw) => {
    let timeNs = 0n
    try {
      timeNs = readNanos(raw.timeUnixNano ?? raw.time_unix_nano, 'event.timeUnixNano')
    } catch {
      // An unreadable event time does not cost the span: the event keeps time 0.
    }
    return { name: typeof raw.name === 'string' ? raw.name : '', timeUnixMs: nanosToMs(timeNs), attributes: readAttributes(raw.attributes) }
  })
}

function readLinks(value: unknown): StoredSpanLink[] {
  return readEach(value, (raw): StoredSpanLink | undefined => {
    const traceId = readIdHex(raw.traceId ?? raw.trace_id, 16)
    const spanId = readIdHex(raw.spanId ?? raw.span_id, 8)
    if (traceId === undefined || spanId === undefined || traceId === '' || spanId === '') return undefined
    const traceState = raw.traceState ?? raw.trace_state
    return { traceId, spanId, traceState: typeof traceState === 'string' ? traceState : '', attributes: readAttributes(raw.attributes) }
  })
}
