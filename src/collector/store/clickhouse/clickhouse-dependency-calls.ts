/**
 * Calls between services in ClickHouse, written as spans are stored, so
 * that dependencies read one narrow table ordered by time instead of
 * joining the window's spans to their parents.
 *
 * A call is one row of `dependency_calls` per child span whose parent span
 * (same trace) is stored and of another service, dated by the child's
 * start. Once a group's spans are inserted, one INSERT … SELECT has
 * ClickHouse join the stored spans of the group's traces to their parents
 * and write the calls a span of the group takes part in, as child or as
 * parent: the collector sends the ids it already listed for its lookup, and
 * neither reads the other sides back nor builds the rows. Several
 * collectors may store the two sides of a call at the same moment: each
 * writes calls only after its own insert was acknowledged, so the later one
 * sees both spans; both may then write the call, and a retried batch writes
 * it again. The row's key is the child span (ReplacingMergeTree), and reads
 * take one row per child (`LIMIT 1 BY`), so a call counts once however
 * often it was written.
 */
import { msToNs } from '../../otlp/otlp-values.js'
import { sqlUInt } from './clickhouse-sql.js'

/**
 * Writes calls found among the stored spans: each span with a parent joined to its parent on the
 * parent's span id (`spans` holds both), kept when the services differ. `traceFilter` bounds both
 * sides (a condition on trace_id, or '1' for none), `callFilter` the calls written.
 */
function insertCalls(traceFilter: string, callFilter: string): string {
  return `INSERT INTO dependency_calls (start_ns, trace_id, span_id, parent, child, err, start_date)
    SELECT start_ns, trace_id, span_id, parent, child, err, start_date FROM (
      SELECT trace_id, span_id, parent_span_id AS pid, service AS child, toUInt8(status_code = 2) AS err, start_ns, start_date
      FROM spans WHERE ${traceFilter} AND parent_span_id != ''
    ) ANY INNER JOIN (
      SELECT trace_id, span_id AS pid, service AS parent FROM spans WHERE ${traceFilter}
    ) USING (trace_id, pid)
    WHERE parent != child AND ${callFilter}`
}

/**
 * Writes the calls a group's spans take part in, as child or as parent, once they are stored.
 * `traceList` and `spanIdList` are the group's ids as SQL lists (sqlStringList).
 */
export function insertCallsStatement(traceList: string, spanIdList: string): string {
  return insertCalls(`trace_id IN (${traceList})`, `(span_id IN (${spanIdList}) OR pid IN (${spanIdList}))`)
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
  insertCalls('1', '1'),
]
