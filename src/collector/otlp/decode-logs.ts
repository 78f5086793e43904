/**
 * ExportLogsServiceRequest (decoded protobuf or parsed OTLP/JSON) -> log
 * records ready to store. A record without a structured trace id is linked to
 * the trace whose id its body names (logs/trace-id-in-text.ts).
 */
import type { StoredLog } from '../model/stored-span.js'
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

const SEVERITY_NAMES: Record<string, number> = Object.fromEntries(
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

const LOGS_SHAPE = { resources: ['resourceLogs', 'resource_logs'], scopes: ['scopeLogs', 'scope_logs'], records: ['logRecords', 'log_records'] } as const

const TIME: TimeField = ['timeUnixNano', 'time_unix_nano']
const OBSERVED_TIME: TimeField = ['observedTimeUnixNano', 'observed_time_unix_nano']

/** Throws OtlpValueError when the request's structure is wrong (the whole request is then a 400). */
export function decodeLogsRequest(request: unknown, options: DecodeLogsOptions): DecodedBatch<IngestLog> {
  return walkOtlpRequest<IngestLog>(request, LOGS_SHAPE, (raw, context, into) => decodeLog(raw, context, options, into))
}

/** Pushes the log record, or returns why it was rejected. */
function decodeLog(raw: Record<string, unknown>, context: OtlpRecordContext, options: DecodeLogsOptions, into: IngestLog[]): string | undefined {
  const { where, resource, resourceJson, service, scope } = context
  // Every number the store binds is checked here: a bad record is refused alone.
  const times = readRecordTimes(raw, where, TIME, OBSERVED_TIME)
  if (typeof times === 'string') return times
  let { first: timeNs, second: observedNs } = times
  const flags = times.flags
  if (observedNs === 0n) observedNs = timeNs === 0n ? options.receivedNs : timeNs
  if (timeNs === 0n) timeNs = observedNs
  let traceId = readIdHex(raw.traceId ?? raw.trace_id, 16)
  if (traceId === undefined) return `${where}: traceId must be 16 bytes (32 hex characters) or empty`
  let spanId = readIdHex(raw.spanId ?? raw.span_id, 8)
  if (spanId === undefined) return `${where}: spanId must be 8 bytes (16 hex characters) or empty`
  if (isAllZeroHex(traceId)) traceId = ''
  if (isAllZeroHex(spanId)) spanId = ''
  const body = readBody(raw.body)
  if (traceId === '') {
    traceId = findTraceIdInText(body, options.traceIdPatterns) ?? ''
  }
  const severityText = raw.severityText ?? raw.severity_text
  const log: StoredLog = {
    timeUnixMs: nanosToMs(timeNs),
    observedTimeUnixMs: nanosToMs(observedNs),
    severityText: typeof severityText === 'string' ? severityText : '',
    severityNumber: readEnum(raw.severityNumber ?? raw.severity_number, SEVERITY_NAMES),
    body,
    traceId,
    spanId,
    service,
    attributes: readAttributes(raw.attributes),
    resource,
  }
  into.push({ log, timeNs, observedNs, resourceJson, scope, flags })
  return undefined
}
