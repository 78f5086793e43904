/**
 * ExportLogsServiceRequest (decoded protobuf or parsed OTLP/JSON) -> log
 * records ready to store. A record without a structured trace id is linked to
 * the trace whose id its body names (logs/trace-id-in-text.ts).
 */
import type { AttributeMap, StoredLog } from '../model/stored-span.js'
import { findTraceIdInText } from '../logs/trace-id-in-text.js'
import type { TraceIdPattern } from '../logs/trace-id-in-text.js'
import type { DecodedBatch } from './decode-traces.js'
import { serviceOf } from './decode-traces.js'
import { isAllZeroHex, nanosToMs, OtlpValueError, readAttributes, readBody, readEnum, readIdHex, readNanos } from './otlp-values.js'

export interface IngestLog {
  log: StoredLog
  timeNs: bigint
  observedNs: bigint
  resourceJson: string
  scope: { name: string; version: string }
  flags: number
}

const SEVERITY_NAMES: Record<string, number> = Object.fromEntries(
  ['UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4'].map(
    (name, i) => [`SEVERITY_NUMBER_${name}`, i],
  ),
)

const MAX_REASONS = 5

function list(value: unknown, what: string): unknown[] {
  if (value == null) return []
  if (!Array.isArray(value)) throw new OtlpValueError(`${what} must be an array`)
  return value
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new OtlpValueError(`${what} must be an object`)
  return value as Record<string, unknown>
}

export interface DecodeLogsOptions {
  /** Used when a record has neither a time nor an observed time. */
  receivedNs: bigint
  traceIdPatterns?: readonly TraceIdPattern[]
}

export function decodeLogsRequest(request: unknown, options: DecodeLogsOptions): DecodedBatch<IngestLog> {
  const root = asObject(request, 'the request body')
  const out: DecodedBatch<IngestLog> = { items: [], rejected: 0, rejectReasons: [] }
  const resourceLogsList = list(root.resourceLogs ?? root.resource_logs, 'resourceLogs')
  for (let r = 0; r < resourceLogsList.length; r++) {
    const resourceLogs = asObject(resourceLogsList[r], `resourceLogs[${r}]`)
    const resource: AttributeMap = readAttributes((resourceLogs.resource as { attributes?: unknown } | null | undefined)?.attributes)
    const resourceJson = JSON.stringify(resource)
    const service = serviceOf(resource)
    const scopeLogsList = list(resourceLogs.scopeLogs ?? resourceLogs.scope_logs, `resourceLogs[${r}].scopeLogs`)
    for (let s = 0; s < scopeLogsList.length; s++) {
      const scopeLogs = asObject(scopeLogsList[s], `resourceLogs[${r}].scopeLogs[${s}]`)
      const scopeObject = scopeLogs.scope as { name?: unknown; version?: unknown } | null | undefined
      const scope = { name: typeof scopeObject?.name === 'string' ? scopeObject.name : '', version: typeof scopeObject?.version === 'string' ? scopeObject.version : '' }
      const records = list(scopeLogs.logRecords ?? scopeLogs.log_records, `resourceLogs[${r}].scopeLogs[${s}].logRecords`)
      for (let i = 0; i < records.length; i++) {
        const where = `resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`
        const raw = asObject(records[i], where)
        const reason = decodeLog(raw, where, resource, resourceJson, service, scope, options, out.items)
        if (reason !== undefined) {
          out.rejected++
          if (out.rejectReasons.length < MAX_REASONS) out.rejectReasons.push(reason)
        }
      }
    }
  }
  return out
}

function decodeLog(
  raw: Record<string, unknown>,
  where: string,
  resource: AttributeMap,
  resourceJson: string,
  service: string,
  scope: { name: string; version: string },
  options: DecodeLogsOptions,
  into: IngestLog[],
): string | undefined {
  let timeNs: bigint
  let observedNs: bigint
  try {
    timeNs = readNanos(raw.timeUnixNano ?? raw.time_unix_nano, `${where}.timeUnixNano`)
    observedNs = readNanos(raw.observedTimeUnixNano ?? raw.observed_time_unix_nano, `${where}.observedTimeUnixNano`)
  } catch (err) {
    return (err as Error).message
  }
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
  into.push({ log, timeNs, observedNs, resourceJson, scope, flags: typeof raw.flags === 'number' ? raw.flags : 0 })
  return undefined
}
