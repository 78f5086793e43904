/**
 * Spans as TabSeparated rows of the ClickHouse `spans` table
 * (clickhouse-tab-separated.ts), and a batch of them waiting for its group's
 * write. A span's row is written from the decoded span (SpanRows.write), or
 * straight from its protobuf bytes when the span is plain
 * (clickhouse-plain-span.ts, SpanRows.writePlain): the same bytes either way.
 */
import type { AttributeJson, AttributeMap, StoredSpan } from '../../model/stored-span.js'
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../../model/stored-span.js'
import { HTTP_STATUS_KEYS, measuredSpanOf, measuredStatus, NO_ATTRIBUTES } from '../../metrics/measured-span.js'
import type { MeasuredSpan } from '../../metrics/measured-span.js'
import type { IngestSpan } from '../../otlp/decode-traces.js'
import { decodeSpanProtobuf } from '../../otlp/decode-traces-protobuf.js'
import { TRACE_SHAPE } from '../../otlp/decode-traces.js'
import type { OtlpRecordContext, RecordSink, Rejections } from '../../otlp/otlp-request-walk.js'
import type { OtlpProtobufValues } from '../../otlp/otlp-protobuf-values.js'
import { walkOtlpProtobufRequestInto } from '../../otlp/otlp-protobuf-walk.js'
import { halvesToMs, Uint64Division } from '../../otlp/uint64-halves.js'
import type { SpanBatchWriter, WriteResult } from '../store-roles.js'
import { PlainSpanReader, VALUE_BOOL, VALUE_STRING } from './clickhouse-plain-span.js'
import { TabSeparatedBody } from './clickhouse-tab-separated.js'
import { BodyBuffers } from './body-buffers.js'

/** An attribute value as the text a `key=value` filter compares with. */
function attributeText(value: AttributeJson): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** Unix ns to the day a row is partitioned under (UTC, as ClickHouse's toDate of a Unix time). */
export function dayOf(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 10)
}

/** The insert's columns, in the order SpanRows writes them. */
export const SPAN_INSERT_COLUMNS = [
  'service',
  'start_ns',
  'trace_id',
  'span_id',
  'parent_span_id',
  'name',
  'kind',
  'duration_ns',
  'status_code',
  'status_message',
  'trace_state',
  'scope_name',
  'scope_version',
  'attr_keys',
  'attr_values',
  'event_keys',
  'event_values',
  'start_date',
  'end_ns',
  'flags',
  'resource',
  'attributes',
  'events',
  'links',
] as const

const NS_PER_DAY = 86_400_000_000_000n

/** An attribute map's keys, or its values as a filter compares them, as quoted elements of an Array(String) field (without brackets). */
function writeQuoted(body: TabSeparatedBody, attributes: AttributeMap, values: boolean): void {
  let first = true
  for (const key in attributes) {
    if (!first) body.comma()
    first = false
    body.quoted(values ? attributeText(attributes[key]!) : key)
  }
}

/** Bytes that `write` puts into a body of their own. */
function bytesOf(write: (body: TabSeparatedBody) => void): Buffer {
  const body = new TabSeparatedBody(256)
  write(body)
  return Buffer.from(body.written())
}

/** What every span of one resource writes alike, written once per resource. */
interface ResourceFields {
  /** The resource's attribute keys and values as quoted array elements, appended to each span's own (empty: none). */
  keys: Buffer
  values: Buffer
  /** The resource JSON as a TabSeparated column (with its tab). */
  json: Buffer
  /** The service's column (with its tab): the service is the resource's. */
  service: Buffer
}

/** Spans as TabSeparated rows for the `spans` table (clickhouse-tab-separated.ts), with what repeats across spans written once. */
export class SpanRows {
  /** The buffers of the batches' rows, reused from batch to batch (SpanRowsBatch). */
  readonly buffers = new BodyBuffers()
  private readonly resources = new Map<string, ResourceFields>()
  private readonly division = new Uint64Division()
  private dayNumber = NaN
  /** The first ns of that day (the decoded path's spans compare their start with it). */
  private dayStartNs = 0n
  private dayText = ''
  /** The last scope's name and version columns, and the scope they are of. */
  private scopeName = ''
  private scopeVersion = ''
  private scopeFields: Buffer | undefined

  /** The partition day (UTC) of a start time in whole Unix seconds, remembered for the spans of the same day. */
  private dayOfSeconds(seconds: number): string {
    const day = Math.floor(seconds / 86_400)
    if (day !== this.dayNumber) {
      this.dayNumber = day
      this.dayStartNs = BigInt(day) * NS_PER_DAY
      this.dayText = dayOf(this.dayStartNs)
    }
    return this.dayText
  }

  /** The same for a start time in Unix ns as a BigInt: no division while the spans stay in the day. */
  private dayOfNs(ns: bigint): string {
    if (this.dayText !== '' && ns >= this.dayStartNs && ns - this.dayStartNs < NS_PER_DAY) return this.dayText
    return this.dayOfSeconds(Number(ns / 1_000_000_000n))
  }

  /** The scope's name and version columns (the spans of a scope come one after the other). */
  private scopeOf(scope: OtlpRecordContext['scope']): Buffer {
    if (this.scopeFields === undefined || scope.name !== this.scopeName || scope.version !== this.scopeVersion) {
      this.scopeName = scope.name
      this.scopeVersion = scope.version
      this.scopeFields = bytesOf((body) => {
        body.field(scope.name)
        body.field(scope.version)
      })
    }
    return this.scopeFields
  }

  private resourceOf(resourceJson: string, resource: AttributeMap, service: string): ResourceFields {
    let fields = this.resources.get(resourceJson)
    if (fields === undefined) {
      fields = {
        keys: bytesOf((body) => writeQuoted(body, resource, false)),
        values: bytesOf((body) => writeQuoted(body, resource, true)),
        json: bytesOf((body) => body.field(resourceJson)),
        service: bytesOf((body) => body.field(service)),
      }
      if (this.resources.size > 1000) this.resources.clear()
      this.resources.set(resourceJson, fields)
    }
    return fields
  }

  /** The span's attribute map (keys or values) and then its resource's, as one Array(String) column. */
  private writePairs(body: TabSeparatedBody, attributes: AttributeMap, resourcePart: Buffer, values: boolean): void {
    body.startArray()
    const before = body.length
    writeQuoted(body, attributes, values)
    this.endPairs(body, body.length > before, resourcePart)
  }

  /** The events as two Array(String) columns: for each, 'event' and its name, then its attributes' keys and values. */
  private writeEvents(body: TabSeparatedBody, events: StoredSpan['events']): void {
    body.startArray()
    for (let i = 0; i < events.length; i++) {
      if (i > 0) body.comma()
      body.quoted('event')
      for (const key in events[i]!.attributes) {
        body.comma()
        body.quoted(key)
      }
    }
    body.endArray()
    body.startArray()
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!
      if (i > 0) body.comma()
      body.quoted(event.name)
      for (const key in event.attributes) {
        body.comma()
        body.quoted(attributeText(event.attributes[key]!))
      }
    }
    body.endArray()
  }

  /** The span's row, in the order of SPAN_INSERT_COLUMNS. Ids are checked hex and numbers digits: only the texts a sender chose are escaped. */
  write(body: TabSeparatedBody, item: IngestSpan): void {
    const span = item.span
    const resource = this.resourceOf(item.resourceJson, span.resource, span.service)
    body.bytes(resource.service)
    body.plain(span.startTimeUnixNano)
    body.plain(span.traceId)
    body.plain(span.spanId)
    body.plain(span.parentSpanId ?? '')
    body.field(span.name)
    body.uint(item.kind)
    body.plain(item.endNs > item.startNs ? (item.endNs - item.startNs).toString() : '0')
    body.uint(item.statusCode)
    body.field(span.status.message)
    body.field(span.traceState)
    body.bytes(this.scopeOf(span.scope))
    this.writePairs(body, span.attributes, resource.keys, false)
    this.writePairs(body, span.attributes, resource.values, true)
    this.writeEvents(body, span.events)
    body.plain(this.dayOfNs(item.startNs))
    body.plain(span.endTimeUnixNano)
    body.uint(item.flags)
    body.bytes(resource.json)
    body.field(JSON.stringify(span.attributes))
    body.field(span.events.length > 0 ? JSON.stringify(span.events) : '')
    body.field(span.links.length > 0 ? JSON.stringify(span.links) : '')
    body.endRow()
  }

  /**
   * The row `write` makes of the same span once decoded, for a plain span read from the bytes of
   * `buf` (clickhouse-plain-span.ts). Text that is not PLAIN is decoded and escaped as `write` does.
   */
  writePlain(body: TabSeparatedBody, span: PlainSpanReader, buf: Buffer, context: OtlpRecordContext): void {
    const resource = this.resourceOf(context.resourceJson, context.resource, context.service)
    const n = span.attributeCount
    body.bytes(resource.service)
    body.uint64(span.startLo, span.startHi)
    body.hex(buf, span.traceIdStart, span.traceIdStart + 16)
    body.hex(buf, span.spanIdStart, span.spanIdStart + 8)
    if (span.parentStart >= 0) body.hex(buf, span.parentStart, span.parentStart + 8)
    else body.tab()
    body.field(span.name)
    body.uint(span.kind)
    body.uint64(span.durationLo, span.durationHi)
    body.uint(span.statusCode)
    body.field(span.statusMessage)
    body.field(span.traceState)
    body.bytes(this.scopeOf(context.scope))
    // attr_keys, then attr_values: the span's own, then its resource's.
    body.startArray()
    for (let i = 0; i < n; i++) {
      const lead = i > 0 ? COMMA : 0
      if (span.keysPlain[i]!) body.rawQuoted(lead, buf, span.keyStarts[i]!, span.keyEnds[i]!, QUOTE)
      else {
        if (lead !== 0) body.comma()
        body.quoted(span.keys[i]!)
      }
    }
    this.endPairs(body, n > 0, resource.keys)
    body.startArray()
    for (let i = 0; i < n; i++) {
      const lead = i > 0 ? COMMA : 0
      if (span.valueTypes[i] === VALUE_STRING && span.valuesPlain[i]!) body.rawQuoted(lead, buf, span.valueStarts[i]!, span.valueEnds[i]!, QUOTE)
      else {
        if (lead !== 0) body.comma()
        body.quoted(attributeText(plainValue(span, buf, i)))
      }
    }
    this.endPairs(body, n > 0, resource.values)
    // No events: two empty arrays.
    body.startArray()
    body.endArray()
    body.startArray()
    body.endArray()
    body.plain(this.dayOfSeconds(this.division.divide(span.startLo, span.startHi, 1e9).quotient))
    body.uint64(span.endLo, span.endHi)
    body.uint(span.flags)
    body.bytes(resource.json)
    // The attributes as JSON.stringify writes the decoded map.
    body.byte(OPEN_BRACE)
    for (let i = 0; i < n; i++) {
      const lead = i > 0 ? COMMA : 0
      if (span.keysPlain[i]!) body.rawQuoted(lead, buf, span.keyStarts[i]!, span.keyEnds[i]!, DOUBLE_QUOTE)
      else {
        if (lead !== 0) body.comma()
        body.fieldText(JSON.stringify(span.keys[i]!))
      }
      if (span.valueTypes[i] === VALUE_STRING && span.valuesPlain[i]!) body.rawQuoted(COLON, buf, span.valueStarts[i]!, span.valueEnds[i]!, DOUBLE_QUOTE)
      else {
        body.byte(COLON)
        body.fieldText(JSON.stringify(plainValue(span, buf, i)))
      }
    }
    body.byte(CLOSE_BRACE)
    body.tab()
    // No events, no links.
    body.tab()
    body.tab()
    body.endRow()
  }

  /** Ends an Array(String) column of the span's own elements (`hasOwn`: at least one) with its resource's part. */
  private endPairs(body: TabSeparatedBody, hasOwn: boolean, resourcePart: Buffer): void {
    if (resourcePart.length > 0) {
      if (hasOwn) body.comma()
      body.bytes(resourcePart)
    }
    body.endArray()
  }
}

const QUOTE = 0x27
const COMMA = 0x2c
const DOUBLE_QUOTE = 0x22
const COLON = 0x3a
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d

/** Attribute `i` of a plain span as the decoded map holds it. */
function plainValue(span: PlainSpanReader, buf: Buffer, i: number): AttributeJson {
  const type = span.valueTypes[i]!
  if (type === VALUE_STRING) return buf.toString('utf8', span.valueStarts[i]!, span.valueEnds[i]!)
  const number = span.valueNumbers[i]!
  return type === VALUE_BOOL ? number === 1 : number
}

/**
 * Room a batch's rows start with, per byte of the protobuf request they come from, and per span
 * when the spans come decoded (the buffer doubles when the rows need more). A row repeats its
 * resource and writes its attributes three ways: about three times the span's protobuf bytes
 * (bench/collector's spans: 209 bytes a span in protobuf, 648 a row).
 */
export const ROW_BYTES_PER_REQUEST_BYTE = 4
export const ROW_BYTES_PER_SPAN = 1024

/** A batch of spans waiting for its group's write (SpanRowsBatch). */
export interface PreparedSpans {
  /** The spans' rows for the `spans` table, one after the other. */
  lines: Buffer
  /** Where each span's row ends in `lines` (the next one starts there). */
  ends: readonly number[]
  traceIds: readonly string[]
  spanIds: readonly string[]
}

/**
 * A batch as its group's write needs it: each span's row written as the span
 * arrives, and its ids. No decoded span is kept, neither while the batch is
 * decoded nor while its group waits for ClickHouse (three round trips):
 * objects that outlive a scavenge are copied, then promoted and marked, and
 * the decoded spans' object graphs were most of the collector's
 * garbage-collection time.
 */
export class SpanRowsBatch implements SpanBatchWriter {
  private readonly body: TabSeparatedBody
  private readonly ends: number[] = []
  private readonly traceIds: string[] = []
  private readonly spanIds: string[] = []
  /** Spans whose rows takeProtobuf wrote straight from their bytes. */
  takenPlain = 0

  constructor(
    private readonly rows: SpanRows,
    expectedBytes: number,
    private readonly submit: (batch: PreparedSpans) => Promise<WriteResult>,
  ) {
    this.body = new TabSeparatedBody(expectedBytes, rows.buffers)
  }

  push(item: IngestSpan): void {
    this.rows.write(this.body, item)
    this.ends.push(this.body.length)
    this.traceIds.push(item.span.traceId)
    this.spanIds.push(item.span.spanId)
  }

  /**
   * A whole OTLP/protobuf request, each plain span's row written straight from its bytes and every
   * other span decoded and pushed. `measured` gets what RED reads of each span taken, in order.
   * Throws as decodeTraceRequestProtobufInto; the batch is then dropped unfinished.
   */
  takeProtobuf(body: Buffer, measured: RecordSink<MeasuredSpan> | undefined): Rejections & { taken: number } {
    let taken = 0
    let reader: PlainSpanReader | undefined
    const decoded: RecordSink<IngestSpan> = {
      push: (item: IngestSpan) => {
        this.push(item)
        measured?.push(measuredSpanOf(item.span))
        taken++
      },
    }
    const take = (values: OtlpProtobufValues, end: number, context: OtlpRecordContext, into: RecordSink<IngestSpan>): string | undefined => {
      // One reader per request: its values reader is the request's.
      if (reader === undefined || reader.values !== values) reader = new PlainSpanReader(values)
      if (!reader.read(end)) return decodeSpanProtobuf(values, end, context, into)
      this.rows.writePlain(this.body, reader, values.r.buf, context)
      this.ends.push(this.body.length)
      this.traceIds.push(reader.traceId)
      this.spanIds.push(reader.spanId)
      this.takenPlain++
      measured?.push(measuredPlainSpan(reader, values.r.buf, context))
      taken++
      return undefined
    }
    const rejections = walkOtlpProtobufRequestInto(body, TRACE_SHAPE, take, decoded)
    return { ...rejections, taken }
  }

  /**
   * Submits the rows; their buffer is reused once the submission settled. By then ClickHouse
   * acknowledged the rows (every byte was sent), or each try failed: a request that timed out was
   * destroyed with its socket, and what is still queued of a request ClickHouse already refused
   * goes to a server that discards it.
   */
  finish(): Promise<WriteResult> {
    if (this.ends.length === 0) {
      this.body.release()
      return Promise.resolve({ stored: 0 })
    }
    const body = this.body
    return this.submit({ lines: body.toKeep(), ends: this.ends, traceIds: this.traceIds, spanIds: this.spanIds }).finally(() => body.release())
  }
}

/** What RED reads of a plain span (measuredSpanOf of the same span decoded). */
function measuredPlainSpan(span: PlainSpanReader, buf: Buffer, context: OtlpRecordContext): MeasuredSpan {
  let attributes: AttributeMap | undefined
  for (const key of HTTP_STATUS_KEYS) {
    for (let i = 0; i < span.attributeCount; i++) if (span.keys[i] === key) (attributes ??= {})[key] = plainValue(span, buf, i)
  }
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    service: context.service,
    name: span.name,
    kind: SPAN_KIND_NAMES[span.kind]!,
    durationMs: halvesToMs(span.durationLo, span.durationHi),
    endTimeUnixMs: halvesToMs(span.endLo, span.endHi),
    status: measuredStatus(STATUS_CODE_NAMES[span.statusCode]!),
    attributes: attributes ?? NO_ATTRIBUTES,
  }
}
