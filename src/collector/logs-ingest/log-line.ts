/**
 * Builds an IngestedLog from a Loki entry or a raw line: finds the service,
 * the time, the severity and the trace id. JSON lines are parsed so their
 * fields can carry ids and levels; text lines rely on the text patterns.
 */
import type { IngestedLog, LogAttributeValue } from './ingested-log.js'
import { severityFromFields, severityFromText, severityNumberOf } from './log-severity.js'
import type { LokiEntry } from './loki-entry.js'
import type { TraceIdDerivation } from './trace-id-derivation.js'
import { deriveIds } from './trace-id-derivation.js'

const SERVICE_FIELDS = [
  'service.name',
  'service_name',
  'service',
  'app',
  'application',
  'app_kubernetes_io_name',
  'job',
  'container',
  'container_name',
  'component',
]
const MESSAGE_FIELDS = ['msg', 'message', 'log', 'text', 'body', '@message', 'event']
const TIME_FIELDS = ['time', 'timestamp', 'ts', '@timestamp', 'datetime', 'date', 't']
const MAX_FLATTEN_DEPTH = 4
const MAX_ATTRIBUTES = 64

export function serviceFrom(...sets: Record<string, unknown>[]): string {
  for (const fields of sets) {
    for (const name of SERVICE_FIELDS) {
      const v = fields[name]
      if (typeof v === 'string' && v !== '') return v
    }
  }
  return ''
}

/** A JSON object line, or undefined for anything else (text, arrays, broken JSON). */
export function parseJsonObjectLine(line: string): Record<string, unknown> | undefined {
  const s = line.trimStart()
  if (s[0] !== '{') return undefined
  try {
    const v: unknown = JSON.parse(s)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** Nested JSON flattened into dotted attribute keys with primitive values. */
export function flattenFields(obj: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): Record<string, LogAttributeValue> {
  const out: Record<string, LogAttributeValue> = {}
  let count = 0
  const walk = (o: Record<string, unknown>, prefix: string, depth: number): void => {
    for (const [k, v] of Object.entries(o)) {
      if (count >= MAX_ATTRIBUTES) return
      const key = prefix === '' ? k : `${prefix}.${k}`
      if (prefix === '' && skip.has(k)) continue
      if (v === null || v === undefined) continue
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        out[key] = v
        count++
      } else if (typeof v === 'object' && !Array.isArray(v) && depth < MAX_FLATTEN_DEPTH) {
        walk(v as Record<string, unknown>, key, depth + 1)
      } else {
        out[key] = JSON.stringify(v)
        count++
      }
    }
  }
  walk(obj, '', 0)
  return out
}

/** Epoch nanoseconds from a time field: ISO text, or epoch seconds/ms/µs/ns by magnitude; undefined if unreadable. */
export function nanosFromTimeValue(v: unknown): bigint | undefined {
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return nanosFromTimeValue(Number(v))
    const ms = Date.parse(v)
    return Number.isNaN(ms) ? undefined : BigInt(ms) * 1_000_000n
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return undefined
  if (v < 1e11) return BigInt(Math.round(v * 1e3)) * 1_000_000n // seconds
  if (v < 1e14) return BigInt(Math.round(v * 1e3)) * 1_000n // milliseconds
  if (v < 1e17) return BigInt(Math.round(v)) * 1_000n // microseconds
  return BigInt(Math.round(v)) // nanoseconds
}

function firstString(fields: Record<string, unknown>, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const v = fields[name]
    if (typeof v === 'string') return [name, v]
  }
  return undefined
}

export function nowUnixNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n
}

export function logFromLokiEntry(entry: LokiEntry, derivation: TraceIdDerivation, observedTimeUnixNano: bigint): IngestedLog {
  const json = parseJsonObjectLine(entry.line)
  const sets: Record<string, unknown>[] = json === undefined ? [entry.metadata, entry.labels] : [entry.metadata, json, entry.labels]
  const ids = deriveIds(derivation, sets, entry.line)
  const level =
    severityFromFields(entry.metadata) ||
    severityFromFields(entry.labels) ||
    (json !== undefined ? severityFromFields(json) : '') ||
    severityFromText(entry.line)
  const attributes: Record<string, LogAttributeValue> = { 'log.source': 'loki', ...entry.metadata }
  return {
    timeUnixNano: entry.timeUnixNano,
    observedTimeUnixNano,
    severityText: level,
    severityNumber: severityNumberOf(level),
    body: entry.line,
    traceId: ids.traceId,
    spanId: ids.spanId,
    service: serviceFrom(entry.labels, entry.metadata, json ?? {}) || 'unknown',
    attributes,
    resource: { ...entry.labels },
  }
}

export interface RawLineDefaults {
  service: string
  resource: Record<string, LogAttributeValue>
}

export function logFromRawLine(line: string, defaults: RawLineDefaults, derivation: TraceIdDerivation, observedTimeUnixNano: bigint): IngestedLog {
  const json = parseJsonObjectLine(line)
  if (json === undefined) {
    const ids = deriveIds(derivation, [], line)
    const level = severityFromText(line)
    return {
      timeUnixNano: observedTimeUnixNano,
      observedTimeUnixNano,
      severityText: level,
      severityNumber: severityNumberOf(level),
      body: line,
      traceId: ids.traceId,
      spanId: ids.spanId,
      service: defaults.service || 'unknown',
      attributes: { 'log.source': 'raw' },
      resource: { ...defaults.resource },
    }
  }
  const message = firstString(json, MESSAGE_FIELDS)
  const timeField = TIME_FIELDS.find((name) => json[name] !== undefined && nanosFromTimeValue(json[name]) !== undefined)
  const skip = new Set<string>(message === undefined ? [] : [message[0]])
  if (timeField !== undefined) skip.add(timeField)
  const ids = deriveIds(derivation, [json], line)
  const level = severityFromFields(json)
  return {
    timeUnixNano: timeField === undefined ? observedTimeUnixNano : nanosFromTimeValue(json[timeField])!,
    observedTimeUnixNano,
    severityText: level,
    severityNumber: severityNumberOf(level),
    body: message === undefined ? line : message[1],
    traceId: ids.traceId,
    spanId: ids.spanId,
    service: defaults.service || serviceFrom(json) || 'unknown',
    attributes: { 'log.source': 'raw', ...flattenFields(json, skip) },
    resource: { ...defaults.resource },
  }
}
