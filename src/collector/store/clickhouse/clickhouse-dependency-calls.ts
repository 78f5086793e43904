/**
 * Calls between services in ClickHouse, written as spans are stored, so
 * that dependencies read one narrow table ordered by time instead of
 * joining the window's spans to their parents.
 *
 * A call is one row of `dependency_calls` per child span whose parent span
 * (same trace) is stored and of another service, dated by the child's
 * start. After a batch's spans are inserted, one query reads the parents of
 * its spans and the children of its spans that are stored, and the calls
 * found are inserted. Several collectors may store the two sides of a call
 * at the same moment: each looks only after its own insert was acknowledged,
 * so the later look sees both spans; both may then write the call, and a
 * retried batch writes it again. The row's key is the child span
 * (ReplacingMergeTree), and reads take one row per child (`LIMIT 1 BY`), so
 * a call counts once however often it was written.
 */
import { msToNs } from '../../otlp/otlp-values.js'
import type { IngestSpan } from '../../otlp/decode-traces.js'
import { sqlStringList, sqlUInt } from './clickhouse-sql.js'

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

/** The stored spans that may be the other side of a call with a span of the batch: its parents and its children. */
export function callSidesQuery(spans: readonly IngestSpan[]): string {
  const traceIds = new Set<string>()
  const spanIds = new Set<string>()
  const parentIds = new Set<string>()
  for (const { span } of spans) {
    traceIds.add(span.traceId)
    spanIds.add(span.spanId)
    if (span.parentSpanId !== null) parentIds.add(span.parentSpanId)
  }
  const sides = [`parent_span_id IN (${sqlStringList([...spanIds])})`]
  if (parentIds.size > 0) sides.push(`span_id IN (${sqlStringList([...parentIds])})`)
  return `SELECT trace_id, span_id, parent_span_id, service, start_ns, status_code FROM spans
    WHERE trace_id IN (${sqlStringList([...traceIds])}) AND (${sides.join(' OR ')})`
}

/** The calls a batch's spans take part in, given the stored spans `callSidesQuery` found. */
export function callsOf(spans: readonly IngestSpan[], stored: readonly CallSideRow[], dayOf: (ns: bigint) => string): DependencyCallRow[] {
  const byKey = new Map<string, CallSideRow>()
  for (const row of stored) byKey.set(row.trace_id + row.span_id, row)
  for (const { span, startNs, statusCode } of spans) {
    byKey.set(span.traceId + span.spanId, {
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId ?? '',
      service: span.service,
      start_ns: startNs.toString(),
      status_code: statusCode,
    })
  }
  const calls: DependencyCallRow[] = []
  for (const child of byKey.values()) {
    if (child.parent_span_id === '') continue
    const parent = byKey.get(child.trace_id + child.parent_span_id)
    if (parent === undefined || parent.service === child.service) continue
    calls.push({
      start_ns: child.start_ns,
      trace_id: child.trace_id,
      span_id: child.span_id,
      parent: parent.service,
      child: child.service,
      err: Number(child.status_code) === 2 ? 1 : 0,
      start_date: dayOf(BigInt(child.start_ns)),
    })
  }
  return calls
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
