/**
 * The walk every OTLP export request shares: resource → scope → records, in
 * either protobuf-decoded (snake_case) or OTLP/JSON (camelCase) field names.
 * The traces and logs decoders only say how to decode one record; a wrong
 * structure throws OtlpValueError (the whole request is a 400) and a bad
 * record is rejected alone (OTLP partial success).
 */
import { UNKNOWN_SERVICE } from '../model/stored-span.js'
import type { AttributeMap } from '../model/stored-span.js'
import { OtlpValueError, readAttributes } from './otlp-values.js'

/** The records a request's walk refused one by one (OTLP partial success). */
export interface Rejections {
  rejected: number
  /** The first few reasons, for the partial-success error_message. */
  rejectReasons: string[]
}

export interface DecodedBatch<T> extends Rejections {
  items: T[]
}

/** Where a walk puts each record it keeps, as it reads it: an array, or a writer that takes records one at a time. */
export interface RecordSink<T> {
  push(item: T): unknown
}

/** What a record inherits from its resource and scope, and where it stands in the request. */
export interface OtlpRecordContext {
  /** The record's place in the request, for a rejection's reason (the protobuf walk makes the text only when it is read). */
  readonly where: string
  resource: AttributeMap
  /** JSON of the resource, the key under which the store dedupes resources. */
  resourceJson: string
  service: string
  scope: { name: string; version: string }
}

/** The field names of one signal: [OTLP/JSON name, protobuf name]. */
export interface OtlpSignalShape {
  resources: readonly [string, string]
  scopes: readonly [string, string]
  records: readonly [string, string]
}

const MAX_REASONS = 5

/** Counts a rejected record and keeps its reason if it is among the first few. */
export function addRejection(batch: Rejections, reason: string): void {
  batch.rejected++
  if (batch.rejectReasons.length < MAX_REASONS) batch.rejectReasons.push(reason)
}

export function serviceOf(resource: AttributeMap): string {
  const name = resource['service.name']
  return typeof name === 'string' && name !== '' ? name : UNKNOWN_SERVICE
}

function list(value: unknown, what: string): unknown[] {
  if (value == null) return []
  if (!Array.isArray(value)) throw new OtlpValueError(`${what} must be an array`)
  return value
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new OtlpValueError(`${what} must be an object`)
  return value as Record<string, unknown>
}

/**
 * Walks the request and calls `decodeRecord` for each record; it pushes what it
 * keeps onto `into`, or returns why the record was rejected.
 */
export function walkOtlpRequest<T>(
  request: unknown,
  shape: OtlpSignalShape,
  decodeRecord: (raw: Record<string, unknown>, context: OtlpRecordContext, into: T[]) => string | undefined,
): DecodedBatch<T> {
  const [resourcesName, resourcesWire] = shape.resources
  const [scopesName, scopesWire] = shape.scopes
  const [recordsName, recordsWire] = shape.records
  const root = asObject(request, 'the request body')
  const out: DecodedBatch<T> = { items: [], rejected: 0, rejectReasons: [] }
  const resourceList = list(root[resourcesName] ?? root[resourcesWire], resourcesName)
  for (let r = 0; r < resourceList.length; r++) {
    const resourceEntry = asObject(resourceList[r], `${resourcesName}[${r}]`)
    const resource = readAttributes((resourceEntry.resource as { attributes?: unknown } | null | undefined)?.attributes)
    const resourceJson = JSON.stringify(resource)
    const service = serviceOf(resource)
    const scopeList = list(resourceEntry[scopesName] ?? resourceEntry[scopesWire], `${resourcesName}[${r}].${scopesName}`)
    for (let s = 0; s < scopeList.length; s++) {
      const scopeEntry = asObject(scopeList[s], `${resourcesName}[${r}].${scopesName}[${s}]`)
      const scopeObject = scopeEntry.scope as { name?: unknown; version?: unknown } | null | undefined
      const scope = {
        name: typeof scopeObject?.name === 'string' ? scopeObject.name : '',
        version: typeof scopeObject?.version === 'string' ? scopeObject.version : '',
      }
      const records = list(scopeEntry[recordsName] ?? scopeEntry[recordsWire], `${resourcesName}[${r}].${scopesName}[${s}].${recordsName}`)
      for (let i = 0; i < records.length; i++) {
        const where = `${resourcesName}[${r}].${scopesName}[${s}].${recordsName}[${i}]`
        const reason = decodeRecord(asObject(records[i], where), { where, resource, resourceJson, service, scope }, out.items)
        if (reason !== undefined) addRejection(out, reason)
      }
    }
  }
  return out
}
