/**
 * ExportTraceServiceRequest (decoded protobuf or parsed OTLP/JSON) -> spans
 * ready to store. Spans with an invalid trace or span id are rejected one by
 * one (OTLP partial success); everything else is kept as sent.
 */
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../model/stored-span.js'
import type { StoredSpan, StoredSpanEvent, StoredSpanLink } from '../model/stored-span.js'
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

const TRACE_SHAPE = { resources: ['resourceSpans', 'resource_spans'], scopes: ['scopeSpans', 'scope_spans'], records: ['spans', 'spans'] } as const

const START_TIME: TimeField = ['startTimeUnixNano', 'start_time_unix_nano']
const END_TIME: TimeField = ['endTimeUnixNano', 'end_time_unix_nano']

/** Throws OtlpValueError when the request's structure is wrong (the whole request is then a 400). */
export function decodeTraceRequest(request: unknown): DecodedBatch<IngestSpan> {
  return walkOtlpRequest(request, TRACE_SHAPE, decodeSpan)
}

/** Pushes the span, or returns why it was rejected. */
function decodeSpan(raw: Record<string, unknown>, context: OtlpRecordContext, into: IngestSpan[]): string | undefined {
  const { where, resource, resourceJson, service, scope } = context
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
  const { first: startNs, flags } = times
  const endNs = times.second < startNs ? startNs : times.second
  const kind = Math.min(Math.max(readEnum(raw.kind, KIND_NAMES), 0), 5)
  const statusObject = raw.status as { code?: unknown; message?: unknown } | null | undefined
  const statusCode = Math.min(Math.max(readEnum(statusObject?.code, STATUS_NAMES), 0), 2)
  const startMs = nanosToMs(startNs)
  const endMs = nanosToMs(endNs)
  const span: StoredSpan = {
    traceId,
    spanId,
    parentSpanId: parent === '' || isAllZeroHex(parent) ? null : parent,
    name: typeof raw.name === 'string' ? raw.name : '',
    kind: SPAN_KIND_NAMES[kind]!,
    service,
    startTimeUnixMs: startMs,
    endTimeUnixMs: endMs,
    durationMs: nanosToMs(endNs - startNs),
    startTimeUnixNano: startNs.toString(),
    endTimeUnixNano: endNs.toString(),
    traceState: typeof (raw.traceState ?? raw.trace_state) === 'string' ? ((raw.traceState ?? raw.trace_state) as string) : '',
    status: { code: STATUS_CODE_NAMES[statusCode]!, message: typeof statusObject?.message === 'string' ? statusObject.message : '' },
    attributes: readAttributes(raw.attributes),
    resource,
    scope,
    events: readEvents(raw.events),
    links: readLinks(raw.links),
  }
  into.push({
    span,
    traceIdBytes: idBytes(rawTraceId, traceId),
    spanIdBytes: idBytes(rawSpanId, spanId),
    parentSpanIdBytes: span.parentSpanId === null ? null : idBytes(rawParent, span.parentSpanId),
    startNs,
    endNs,
    kind,
    statusCode,
    flags,
    resourceJson,
  })
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
