/**
 * ExportLogsServiceRequest (parsed OTLP/JSON, or decoded by protobufjs) -> log
 * records ready to store (protobuf bodies take decode-logs-protobuf.ts, which
 * gives the same records straight from the bytes; both build them with
 * ingestLogOf). A record without a structured trace id is linked to
 * the trace whose id its body names (logs/trace-id-in-text.ts).
 */
import type { AttributeMap, StoredLog } from '../model/stored-span.js'
import { findTraceIdInText } from '../logs/trace-id-in-text.js'
import type { TraceIdPattern } from '../logs/trace-id-in-text.js'
import { walkOtlpRequest } from './otlp-request-walk.js'
import type { DecodedBatch, OtlpRecordContext } from './otlp-request-walk.js'
import { isAllZeroHex, nanosToMs, readAttributes, readBody, readEnum, readIdHex, readRecordTimes } from './otlp-values.js'
import type { TimeField } from './otlp-values.js'

export interface IngestLog {
  log: StoredLog
  timeNs: bigint
  observedNs: bigint
  resourceJson: string
  scope: { name: string; version: string }
  flags: number
}

export const SEVERITY_NAMES: Record<string, number> = Object.fromEntries(
  [
    'UNSPECIFIED',
    'TRACE',
    'TRACE2',
    'TRACE3',
    'TRACE4',
    'DEBUG',
    'DEBUG2',
    'DEBUG3',
    'DEBUG4',
    'INFO',
    'INFO2',
    'INFO3',
    'INFO4',
    'WARN',
    'WARN2',
    'WARN3',
    'WARN4',
    'ERROR',
    'ERROR2',
    'ERROR3',
    'ERROR4',
    'FATAL',
    'FATAL2',
    'FATAL3',
    'FATAL4',
  ].map((name, i) => [`SEVERITY_NUMBER_${name}`, i]),
)

export interface DecodeLogsOptions {
  /** Used when a record has neither a time nor an observed time. */
  receivedNs: bigint
  traceIdPatterns?: readonly TraceIdPattern[]
}

export const LOGS_SHAPE = { resources: ['resourceLogs', 'resource_logs'], scopes: ['scopeLogs', 'scope_logs'], records: ['logRecords', 'log_records'] } as const

const TIME: TimeField = ['timeUnixNano', 'time_unix_nano']
const OBSERVED_TIME: TimeField = ['observedTimeUnixNano', 'observed_time_unix_nano']

/** Throws OtlpValueError when the request's structure is wrong (the whole request is then a 400). */
export function decodeLogsRequest(request: unknown, options: DecodeLogsOptions): DecodedBatch<IngestLog> {
  return walkOtlpRequest<IngestLog>(request, LOGS_SHAPE, (raw, context, into) => decodeLog(raw, context, options, into))
}

/**
 * A log record's fields once read and checked, from either decoder (decoded
 * messages here, protobuf bytes in decode-logs-protobuf.ts); ingestLogOf
 * derives the rest, so that both make the same IngestLog of the same record.
 */
export interface LogFields {
  /** 0n when absent. */
  timeNs: bigint
  observedNs: bigint
  flags: number
  /** Hex, '' when absent; an all-zero id means none too. */
  traceId: string
  spanId: string
  /** readBody's text of the body. */
  body: string
  severityText: string
  severityNumber: number
  attributes: AttributeMap
}

export function ingestLogOf(fields: LogFields, context: OtlpRecordContext, options: DecodeLogsOptions): IngestLog {
  let { timeNs, observedNs, traceId, spanId } = fields
  if (observedNs === 0n) observedNs = timeNs === 0n ? options.receivedNs : timeNs
  if (timeNs === 0n) timeNs = observedNs
  if (isAllZeroHex(traceId)) traceId = ''
  if (isAllZeroHex(spanId)) spanId = ''
  if (traceId === '') {
    traceId = findTraceIdInText(fields.body, options.traceIdPatterns) ?? ''
  }
  const log: StoredLog = {
    timeUnixMs: nanosToMs(timeNs),
    observedTimeUnixMs: nanosToMs(observedNs),
    severityText: fields.severityText,
    severityNumber: fields.severityNumber,
    body: fields.body,
    traceId,
    spanId,
    service: context.service,
    attributes: fields.attributes,
    resource: context.resource,
  }
  return { log, timeNs, observedNs, resourceJson: context.resourceJson, scope: context.scope, flags: fields.flags }
}

/** Pushes the log record, or returns why it was rejected. */
function decodeLog(raw: Record<string, unknown>, context: OtlpRecordContext, options: DecodeLogsOptions, into: IngestLog[]): string | undefined {
  const { where } = context
  // Every number the store binds is checked here: a bad record is refused alone.
  const times = readRecordTimes(raw, where, TIME, OBSERVED_TIME)
  if (typeof times === 'string') return times
  const traceId = readIdHex(raw.traceId ?? raw.trace_id, 16)
  if (traceId === undefined) return `${where}: traceId must be 16 bytes (32 hex characters) or empty`
  const spanId = readIdHex(raw.spanId ?? raw.span_id, 8)
  if (spanId === undefined) return `${where}: spanId must be 8 bytes (16 hex characters) or empty`
  const severityText = raw.severityText ?? raw.severity_text
  into.push(
    ingestLogOf(
      {
        timeNs: times.first,
        observedNs: times.second,
        flags: times.flags,
        traceId,
        spanId,
        body: readBody(raw.body),
        severityText: typeof severityText === 'string' ? severityText : '',
        severityNumber: readEnum(raw.severityNumber ?? raw.severity_number, SEVERITY_NAMES),
        attributes: readAttributes(raw.attributes),
      },
      context,
      options,
    ),
  )
  return undefined
}
