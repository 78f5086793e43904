/**
 * walkOtlpRequest (otlp-request-walk.ts) over protobuf bytes instead of a
 * decoded message: resource → scope → records, with the same record context,
 * the same `where` paths and the same per-record rejection. The traces and
 * logs requests share their field numbers down to the record, so one walk
 * serves both; their decoders say how to read one record.
 *
 * A ResourceSpans or ScopeSpans entry may carry its resource or scope after
 * its records (fields may come in any order), so each entry is first walked
 * for where its parts are, then read.
 *
 * Throws ProtoWireError when the bytes are not such a request (the whole
 * request is then a 400), and OtlpValueError (tooDeepError) when a resource
 * or an accepted record nests values too deep, as the walk over decoded
 * messages does.
 */
import type { DecodedBatch, OtlpRecordContext, OtlpSignalShape, RecordSink, Rejections } from './otlp-request-walk.js'
import type { AttributeMap } from '../model/stored-span.js'
import { addRejection, serviceOf } from './otlp-request-walk.js'
import { OtlpProtobufValues, skipResource, skipScope } from './otlp-protobuf-values.js'
import { tooDeepError } from './otlp-values.js'
import { ProtoWireReader } from './proto-wire-reader.js'

/** Tags: (field number << 3) | 2 (length-delimited), the same in ExportTraceServiceRequest and ExportLogsServiceRequest. */
const TAG = {
  requestResourceEntry: 0x0a, // resource_spans / resource_logs = 1
  entryResource: 0x0a, // ResourceSpans/ResourceLogs.resource = 1
  entryScopeEntry: 0x12, // scope_spans / scope_logs = 2
  scopeEntryScope: 0x0a, // ScopeSpans/ScopeLogs.scope = 1
  scopeEntryRecord: 0x12, // spans / log_records = 2
} as const

/**
 * Reads one record whose content ends at `end` (the reader is at its start):
 * pushes what it keeps onto `into`, or returns why the record was rejected.
 * `values.tooDeep` set by the values the record keeps (not by those it drops,
 * such as a dropped link's) fails the request, but only when the record is
 * accepted: the walk over decoded messages reads a record's values only then.
 */
export type ProtobufRecordDecoder<T> = (values: OtlpProtobufValues, end: number, context: OtlpRecordContext, into: RecordSink<T>) => string | undefined

export function walkOtlpProtobufRequest<T>(body: Buffer, shape: OtlpSignalShape, decodeRecord: ProtobufRecordDecoder<T>): DecodedBatch<T> {
  const items: T[] = []
  return { items, ...walkOtlpProtobufRequestInto(body, shape, decodeRecord, items) }
}

/**
 * The walk, handing each record kept to `into` as soon as it is read. When it throws, what `into`
 * was given so far is part of a request refused whole: the caller drops it.
 */
export function walkOtlpProtobufRequestInto<T>(body: Buffer, shape: OtlpSignalShape, decodeRecord: ProtobufRecordDecoder<T>, into: RecordSink<T>): Rejections {
  const r = new ProtoWireReader(body)
  const values = new OtlpProtobufValues(r)
  const out: RecordsOut<T> = { into, rejected: 0, rejectReasons: [] }
  const end = body.length
  let resourceIndex = 0
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag !== TAG.requestResourceEntry) {
      r.skip(tag, end)
      continue
    }
    const entryEnd = r.lengthEnd(end)
    walkResourceEntry(values, entryEnd, `${shape.resources[0]}[${resourceIndex++}]`, shape, decodeRecord, out)
    r.pos = entryEnd
  }
  return { rejected: out.rejected, rejectReasons: out.rejectReasons }
}

/** Where a walk's records and rejections go. */
interface RecordsOut<T> extends Rejections {
  into: RecordSink<T>
}

function walkResourceEntry<T>(
  values: OtlpProtobufValues,
  end: number,
  where: string,
  shape: OtlpSignalShape,
  decodeRecord: ProtobufRecordDecoder<T>,
  out: RecordsOut<T>,
): void {
  const r = values.r
  let resourceStart = -1
  let resourceEnd = 0
  /** Start and end of each scope entry, in order. */
  const scopeEntries: number[] = []
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === TAG.entryResource) {
      const contentEnd = r.lengthEnd(end)
      // An earlier resource, replaced by this one (as protobufjs does): walked, not kept.
      if (resourceStart >= 0) r.walkAside(resourceStart, resourceEnd, skipResource)
      resourceStart = r.pos
      resourceEnd = contentEnd
      r.pos = contentEnd
    } else if (tag === TAG.entryScopeEntry) {
      const contentEnd = r.lengthEnd(end)
      scopeEntries.push(r.pos, contentEnd)
      r.pos = contentEnd
    } else r.skip(tag, end)
  }
  values.tooDeep = false
  let resource = {}
  if (resourceStart >= 0) {
    r.pos = resourceStart
    resource = values.resourceAttributes(resourceEnd)
  }
  if (values.tooDeep) throw tooDeepError()
  const resourceJson = JSON.stringify(resource)
  const service = serviceOf(resource)
  for (let s = 0; s < scopeEntries.length; s += 2) {
    r.pos = scopeEntries[s]!
    const scopeWhere = `${where}.${shape.scopes[0]}[${s / 2}]`
    const context = new WalkedRecordContext(resource, resourceJson, service)
    walkScopeEntry(values, scopeEntries[s + 1]!, scopeWhere, context, shape, decodeRecord, out)
  }
}

/** A record's context in the walk: its place as text is made only when a rejection's reason reads it. */
class WalkedRecordContext implements OtlpRecordContext {
  scope = { name: '', version: '' }
  /** Where the scope's records are, and the record's index among them. */
  recordsWhere = ''
  index = 0

  constructor(
    readonly resource: AttributeMap,
    readonly resourceJson: string,
    readonly service: string,
  ) {}

  get where(): string {
    return `${this.recordsWhere}[${this.index}]`
  }
}

function walkScopeEntry<T>(
  values: OtlpProtobufValues,
  end: number,
  where: string,
  context: WalkedRecordContext,
  shape: OtlpSignalShape,
  decodeRecord: ProtobufRecordDecoder<T>,
  out: RecordsOut<T>,
): void {
  const r = values.r
  let scopeStart = -1
  let scopeEnd = 0
  /** Start and end of each record, in order. */
  const records: number[] = []
  while (r.pos < end) {
    const tag = r.uint32(end)
    if (tag === TAG.scopeEntryScope) {
      const contentEnd = r.lengthEnd(end)
      if (scopeStart >= 0) r.walkAside(scopeStart, scopeEnd, skipScope)
      scopeStart = r.pos
      scopeEnd = contentEnd
      r.pos = contentEnd
    } else if (tag === TAG.scopeEntryRecord) {
      const contentEnd = r.lengthEnd(end)
      records.push(r.pos, contentEnd)
      r.pos = contentEnd
    } else r.skip(tag, end)
  }
  if (scopeStart >= 0) {
    r.pos = scopeStart
    context.scope = values.scope(scopeEnd)
  }
  context.recordsWhere = `${where}.${shape.records[0]}`
  for (let i = 0; i < records.length; i += 2) {
    r.pos = records[i]!
    context.index = i / 2
    values.tooDeep = false
    const reason = decodeRecord(values, records[i + 1]!, context, out.into)
    if (reason !== undefined) addRejection(out, reason)
    else if (values.tooDeep) throw tooDeepError()
  }
}
