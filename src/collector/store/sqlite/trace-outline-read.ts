/**
 * A trace's span outlines (SpanReader.getTraceOutline) read as JSON text that
 * SQLite builds: one `json_array` per span, joined into one string, parsed
 * by one JSON.parse. Reading the same columns as rows costs a
 * JavaScript object, two Buffers (the ids) and four BigInts (safe integers)
 * per span, then a hex string and BigInt arithmetic per time: on a
 * 100,000-span trace, rows and their conversion took 3–4 s, this read
 * 0.5–0.9 s (on a loaded 2-core machine). Times come as exact decimal text and
 * as whole milliseconds plus the nanoseconds after them, so no BigInt is
 * made in JavaScript and the milliseconds are those nanosToMs gives.
 */
import type Database from 'better-sqlite3'
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../../model/stored-span.js'
import type { AttributeMap, StoredSpan } from '../../model/stored-span.js'
import { CALL_TARGET_ATTRIBUTES, type SpanOutline } from '../store-roles.js'

/** One span as the query's json_array has it, in this order. */
type OutlineRow = [
  spanId: string,
  parentSpanId: string | null,
  service: string,
  name: string,
  kind: number,
  startNs: string,
  endNs: string,
  startWholeMs: number,
  startNsAfterMs: number,
  endWholeMs: number,
  endNsAfterMs: number,
  statusCode: number,
  statusMessage: string,
  traceState: string,
  events: StoredSpan['events'] | null,
  callTargetAttributes: AttributeMap | null,
]

const NO_ATTRIBUTES: AttributeMap = Object.freeze({}) as AttributeMap
const NO_EVENTS: StoredSpan['events'] = []

/** The statement `readTraceOutline` runs; prepared once per store. */
export function prepareTraceOutline(db: Database.Database): Database.Statement {
  // Ids as SQLite's upper-case hex, lowered in JavaScript: lower() in SQL cost as much as the
  // rest of the row (100,000 spans: 120 of 270 ms).
  // Only a CLIENT or PRODUCER span's call-target attributes, picked out by SQLite (json_patch
  // drops the absent ones): the other attributes of a big trace are never parsed.
  const callTarget = CALL_TARGET_ATTRIBUTES.map((key) => `'${key}', json_extract(attributes, '$."${key}"')`).join(', ')
  const span = `json_array(hex(span_id), iif(parent_span_id IS NULL, NULL, hex(parent_span_id)), service, name, kind,
    CAST(start_ns AS TEXT), CAST(end_ns AS TEXT), start_ns / 1000000, start_ns % 1000000, end_ns / 1000000, end_ns % 1000000,
    status_code, status_message, trace_state,
    CASE WHEN events IS NULL OR events = '' THEN NULL ELSE json(events) END,
    CASE WHEN kind IN (3, 4) THEN json_patch('{}', json_object(${callTarget})) END)`
  // Joined as text: the spans are JSON already. Not sorted: ordering for display sorts them
  // anyway, and sorting 100,000 rows of JSON text in SQLite took as long as building them. One
  // string per trace: V8's limit (2^29 characters) is some 6 million spans, far past what the
  // trace page can show.
  return db.prepare(`SELECT '[' || group_concat(${span}, ',') || ']' FROM spans WHERE trace_id = ?`).pluck()
}

/** The outlines of a trace's spans, in no particular order ([] when none), from `prepareTraceOutline`'s statement. */
export function readTraceOutline(statement: Database.Statement, traceId: string): SpanOutline[] {
  const json = statement.get(Buffer.from(traceId, 'hex')) as string | null
  return json === null ? [] : (JSON.parse(json) as OutlineRow[]).map((row) => outlineOf(traceId, row))
}

function outlineOf(traceId: string, r: OutlineRow): SpanOutline {
  // nanosToMs's arithmetic on parts SQLite divided exactly: whole milliseconds plus the rest.
  const startMs = r[7] + r[8] / 1e6
  const endMs = r[9] + r[10] / 1e6
  const durationNs = (r[9] - r[7]) * 1e6 + (r[10] - r[8])
  const durationWholeMs = Math.trunc(durationNs / 1e6)
  // Same keys, in the same order, as a whole stored span's head (stored-span-of.ts).
  return {
    traceId,
    spanId: r[0].toLowerCase(),
    parentSpanId: r[1] === null ? null : r[1].toLowerCase(),
    name: r[3],
    kind: SPAN_KIND_NAMES[r[4]] ?? 'UNSPECIFIED',
    service: r[2],
    startTimeUnixMs: startMs,
    endTimeUnixMs: endMs,
    durationMs: durationWholeMs + (durationNs - durationWholeMs * 1e6) / 1e6,
    startTimeUnixNano: r[5],
    endTimeUnixNano: r[6],
    traceState: r[13],
    status: { code: STATUS_CODE_NAMES[r[11]] ?? 'UNSET', message: r[12] },
    attributes: r[15] ?? NO_ATTRIBUTES,
    events: r[14] ?? NO_EVENTS,
  }
}
