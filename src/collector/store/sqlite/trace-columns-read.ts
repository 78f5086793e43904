/**
 * A trace's spans as columns (SpanReader.getTraceColumns), built by SQLite:
 * one `json_group_array` per column in one pass over the trace's rows, each
 * parsed by one JSON.parse. No JavaScript object, Buffer or BigInt is made per
 * span: on a 100,000-span trace this read takes ~0.4 s where reading a
 * JSON array per span and building an outline object from each took 1.1–1.8 s
 * (loaded 2-core machine), and better-sqlite3's rows with their id Buffers
 * longer still. Times come as integer nanoseconds after the earliest start,
 * which SQLite subtracts exactly, so every value fits a double.
 */
import type Database from 'better-sqlite3'
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES, type AttributeMap, type SpanKindName } from '../../model/stored-span.js'
import { CALL_TARGET_ATTRIBUTES, callTarget, type TraceColumns } from '../trace-columns.js'

/** The statement `readTraceColumns` runs; prepared once per store. */
export function prepareTraceColumns(db: Database.Database): Database.Statement {
  // Only a CLIENT or PRODUCER span's call-target attributes, picked out by SQLite (json_patch
  // drops the absent ones): the other attributes of a big trace are never parsed.
  const callTargetAttributes = CALL_TARGET_ATTRIBUTES.map((key) => `'${key}', json_extract(attributes, '$."${key}"')`).join(', ')
  // Every aggregate sees the rows in the same order, so position i is one span in every column.
  // Ids as SQLite's upper-case hex (hex(NULL) is '', so a root's parent is NULL by hand), lowered once
  // over the whole column's text.
  return db
    .prepare(
      `SELECT count(*), CAST(min(start_ns) AS TEXT),
        json_group_array(hex(span_id)), json_group_array(iif(parent_span_id IS NULL, NULL, hex(parent_span_id))),
        json_group_array(service), json_group_array(name), json_group_array(kind),
        json_group_array(start_ns - (SELECT min(start_ns) FROM spans WHERE trace_id = @traceId)), json_group_array(end_ns - start_ns),
        json_group_array(status_code), json_group_array(status_message), json_group_array(trace_state),
        json_group_array(CASE WHEN events IS NULL OR events = '' THEN NULL ELSE json(events) END),
        json_group_array(CASE WHEN kind IN (3, 4) THEN json_patch('{}', json_object(${callTargetAttributes})) END)
      FROM spans WHERE trace_id = @traceId`,
    )
    .raw()
}

type ColumnsRow = [count: number, startNs: string | null, ...columns: string[]]

/** The trace's spans as columns in no particular order, undefined when none is stored. */
export function readTraceColumns(statement: Database.Statement, traceId: string): TraceColumns | undefined {
  const row = statement.get({ traceId: Buffer.from(traceId, 'hex') }) as ColumnsRow
  if (row[0] === 0 || row[1] === null) return undefined
  const [spanIds, parentIds, service, name, kind, startOffsetNs, durationNs, statusCode, statusMessage, traceState, events, callAttributes] = row.slice(
    2,
  ) as string[]
  const kinds = (JSON.parse(kind!) as number[]).map((k): SpanKindName => SPAN_KIND_NAMES[k] ?? 'UNSPECIFIED')
  const codes = (JSON.parse(statusCode!) as number[]).map((code) => (STATUS_CODE_NAMES[code] === undefined ? 0 : code))
  const attributes = JSON.parse(callAttributes!) as (AttributeMap | null)[]
  return {
    startTimeUnixNano: row[1],
    spanId: JSON.parse(spanIds!.toLowerCase()) as string[],
    parentSpanId: JSON.parse(parentIds!.toLowerCase()) as (string | null)[],
    service: JSON.parse(service!) as string[],
    name: JSON.parse(name!) as string[],
    kind: kinds,
    startOffsetNs: JSON.parse(startOffsetNs!) as number[],
    durationNs: JSON.parse(durationNs!) as number[],
    statusCode: codes,
    statusMessage: JSON.parse(statusMessage!) as string[],
    traceState: JSON.parse(traceState!) as string[],
    callTarget: attributes.map((a, i) => (a === null ? '' : callTarget({ kind: kinds[i]!, attributes: a }))),
    events: JSON.parse(events!) as TraceColumns['events'],
  }
}
