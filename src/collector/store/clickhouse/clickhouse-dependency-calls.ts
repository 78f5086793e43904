/**
 * Calls between services in ClickHouse, written as spans are stored, so
 * that dependencies read one narrow table ordered by time instead of
 * joining the window's spans to their parents.
 *
 * A call is one row of `dependency_calls` per child span whose parent span
 * (same trace) is stored and of another service, dated by the child's
 * start. After a batch's spans are inserted, the calls inside the batch are
 * found in it, and one query reads the stored spans outside it that are
 * parents or children of its spans; the calls found are inserted. Several collectors may store the two sides of a call
 * at the same moment: each looks only after its own insert was acknowledged,
 * so the later look sees both spans; both may then write the call, and a
 * retried batch writes it again. The row's key is the child span
 * (ReplacingMergeTree), and reads take one row per child (`LIMIT 1 BY`), so
 * a call counts once however often it was written.
 */
import { msToNs } from '../../otlp/otlp-values.js'
import type { IngestSpan } from '../../otlp/decode-traces.js'
import { sqlString, sqlStringList, sqlUInt } from './clickhouse-sql.js'
import { tsvString } from './clickhouse-tab-separated.js'

/** A span as the call lookup reads it. */
export interface CallSideRow {
  trace_id: string
  span_id: string
  parent_span_id: string
  service: string
  start_ns: string
  status_code: number
}

export interface DependencyCallRow {
  start_ns: string
  trace_id: string
  span_id: string
  parent: string
  child: string
  err: number
  start_date: string
}

/**
 * The stored spans, other than the batch's own, that may be the other side of
 * a call with a span of the batch: parents the batch lacks, and children.
 * `batch` is the batch's spans by trace id + span id, `traceList` its trace
 * ids as a SQL list. A call inside the batch needs no lookup (callsOf).
 */
export function callSidesQuery(batch: ReadonlyMap<string, IngestSpan>, traceList: string): string {
  const spanIds: string[] = []
  const pairs: string[] = []
  const missingParents = new Set<string>()
  for (const { span } of batch.values()) {
    spanIds.push(span.spanId)
    pairs.push(`(${sqlString(span.traceId)}, ${sqlString(span.spanId)})`)
    if (span.parentSpanId !== null && !batch.has(span.traceId + span.parentSpanId)) missingParents.add(span.parentSpanId)
  }
  const sides = [`(parent_span_id IN (${sqlStringList(spanIds)}) AND (trace_id, span_id) NOT IN (${pairs.join(', ')}))`]
  if (missingParents.size > 0) sides.push(`span_id IN (${sqlStringList([...missingParents])})`)
  return `SELECT trace_id, span_id, parent_span_id, service, start_ns, status_code FROM spans
    WHERE trace_id IN (${traceList}) AND (${sides.join(' OR ')})`
}

/** One side of a call: a span of the batch, or a stored span `callSidesQuery` found. */
interface CallSide {
  traceId: string
  spanId: string
  parentSpanId: string
  service: string
  startNs: string
  statusCode: number
}

function sideOfStored(row: CallSideRow): CallSide {
  return {
    traceId: row.trace_id,
    spanId: row.span_id,
    parentSpanId: row.parent_span_id,
    service: row.service,
    startNs: row.start_ns,
    statusCode: Number(row.status_code),
  }
}

function callOf(child: CallSide, parentService: string, dayOf: (ns: bigint) => string): DependencyCallRow {
  return {
    start_ns: child.startNs,
    trace_id: child.traceId,
    span_id: child.spanId,
    parent: parentService,
    child: child.service,
    err: child.statusCode === 2 ? 1 : 0,
    start_date: dayOf(BigInt(child.startNs)),
  }
}

/** The calls a batch's spans take part in, given the stored spans `callSidesQuery` found. */
export function callsOf(batch: ReadonlyMap<string, IngestSpan>, stored: readonly CallSideRow[], dayOf: (ns: bigint) => string): DependencyCallRow[] {
  const storedByKey = new Map<string, CallSide>()
  for (const row of stored) {
    const key = row.trace_id + row.span_id
    if (!batch.has(key)) storedByKey.set(key, sideOfStored(row))
  }
  const serviceOf = (key: string): string | undefined => batch.get(key)?.span.service ?? storedByKey.get(key)?.service
  const calls: DependencyCallRow[] = []
  // The batch's spans as children: parents in the batch or stored.
  for (const { span, statusCode } of batch.values()) {
    if (span.parentSpanId === null) continue
    const parent = serviceOf(span.traceId + span.parentSpanId)
    if (parent === undefined || parent === span.service) continue
    const child = {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      service: span.service,
      startNs: span.startTimeUnixNano,
      statusCode,
    }
    calls.push(callOf(child, parent, dayOf))
  }
  // Stored spans as children of the batch's spans (a stored parent of a batch span was counted above).
  for (const child of storedByKey.values()) {
    if (child.parentSpanId === '') continue
    const parent = batch.get(child.traceId + child.parentSpanId)
    if (parent === undefined || parent.span.service === child.service) continue
    calls.push(callOf(child, parent.span.service, dayOf))
  }
  return calls
}

/** The insert's columns, in the order callLine writes them. */
export const CALL_INSERT_COLUMNS = ['start_ns', 'trace_id', 'span_id', 'parent', 'child', 'err', 'start_date'] as const

/** A call as a TabSeparated line (clickhouse-tab-separated.ts): ids are checked hex, numbers digits. */
export function callLine(call: DependencyCallRow): string {
  return `${call.start_ns}\t${call.trace_id}\t${call.span_id}\t${tsvString(call.parent)}\t${tsvString(call.child)}\t${call.err}\t${call.start_date}\n`
}

/** Calls by child start in [start, end], one per child span however often it was written. */
export function dependenciesQuery(startUnixMs: number, endUnixMs: number): string {
  return `SELECT parent, child, count() AS callCount, sum(err) AS errorCount FROM (
      SELECT parent, child, err FROM dependency_calls
      WHERE start_ns >= ${sqlUInt(msToNs(startUnixMs))} AND start_ns <= ${sqlUInt(msToNs(endUnixMs))} LIMIT 1 BY trace_id, span_id
    ) GROUP BY parent, child ORDER BY parent, child`
}

/** Schema: the table, and the calls of spans stored before it existed. */
export const DEPENDENCY_CALLS_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS dependency_calls (
    start_ns UInt64,
    trace_id String,
    span_id String,
    parent String,
    child String,
    err UInt8,
    start_date Date
  ) ENGINE = ReplacingMergeTree PARTITION BY start_date ORDER BY (start_ns, trace_id, span_id)`,
  `INSERT INTO dependency_calls (start_ns, trace_id, span_id, parent, child, err, start_date)
    SELECT start_ns, trace_id, span_id, parent, child, err, start_date FROM (
      SELECT trace_id, span_id, parent_span_id AS pid, service AS child, toUInt8(status_code = 2) AS err, start_ns, start_date
      FROM spans WHERE parent_span_id != ''
    ) ANY INNER JOIN (
      SELECT trace_id, span_id AS pid, service AS parent FROM spans
    ) USING (trace_id, pid)
    WHERE parent != child`,
]
