/**
 * Calls between services counted as spans are stored, so that
 * `dependencies()` adds up a few bucket rows instead of joining every span
 * of its window to its parent.
 *
 * What is counted is what the join found: a stored child span whose parent
 * span (same trace) is stored too and belongs to another service, by the
 * child's start. The count is kept equal to it at every commit:
 * - a call is counted in the transaction that stores the second of its two
 *   spans: a child finds its parent stored (or in its own batch); a parent
 *   finds the children that arrived before it (another sidecar flushed them
 *   first), which were marked `parent_missing` when stored, and the partial
 *   index `spans_awaiting_parent` holds only those;
 * - a call is uncounted in the retention step that deletes either span, and
 *   a surviving child of a deleted parent is marked `parent_missing` again.
 * Every change runs inside the transaction that stores or deletes the spans.
 */
import type Database from 'better-sqlite3'
import type { DependencyEdge } from '../store-roles.js'
import { DEPENDENCY_BUCKET_SECONDS, bucketOf, coverWindow } from './dependency-buckets.js'
import { servicesWithSpans } from './spans-in-start-order.js'

/** Calls counted in one transaction, by second, before they are written. */
export class DependencyTally {
  readonly bySecond = new Map<string, { second: number; parent: string; child: string; calls: number; errors: number }>()

  add(parent: string, child: string, startNs: bigint, error: boolean, sign: 1 | -1): void {
    const second = bucketOf(startNs, 1)
    const key = `${second}\u0000${parent}\u0000${child}`
    let cell = this.bySecond.get(key)
    if (cell === undefined) this.bySecond.set(key, (cell = { second, parent, child, calls: 0, errors: 0 }))
    cell.calls += sign
    if (error) cell.errors += sign
  }
}

/** Code-unit order, as SQLite's and ClickHouse's ORDER BY on text. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

interface AwaitingRow {
  parent_span_id: Buffer
  service: string
  start_ns: bigint
  status_code: bigint
}

interface PairRow {
  child_rowid: bigint
  parent: string
  child: string
  start_ns: bigint
  status_code: bigint
  child_gone: bigint
}

export class SqliteDependencyCounts {
  private readonly selectAwaiting: Database.Statement
  private readonly upsert: Database.Statement
  private readonly dropEmpty: Database.Statement
  private readonly selectBuckets: Database.Statement
  private readonly selectFromSpans: Database.Statement
  private readonly selectPairsOfDeleted: Database.Statement
  private readonly markParentMissing: Database.Statement

  constructor(private readonly db: Database.Database) {
    this.selectAwaiting = db
      .prepare('SELECT parent_span_id, service, start_ns, status_code FROM spans INDEXED BY spans_awaiting_parent WHERE trace_id = ? AND parent_missing = 1')
      .safeIntegers(true)
    this.upsert = db.prepare(`INSERT INTO dependency_calls (resolution_s, bucket_s, parent, child, calls, errors) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (resolution_s, bucket_s, parent, child) DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors`)
    this.dropEmpty = db.prepare('DELETE FROM dependency_calls WHERE resolution_s = ? AND bucket_s = ? AND parent = ? AND child = ? AND calls <= 0')
    this.selectBuckets = db.prepare(
      `SELECT parent, child, SUM(calls) AS callCount, SUM(errors) AS errorCount FROM dependency_calls
      WHERE resolution_s = ? AND bucket_s >= ? AND bucket_s < ? GROUP BY parent, child`,
    )
    this.selectFromSpans = db.prepare(
      `SELECT p.service AS parent, c.service AS child, COUNT(*) AS callCount, SUM(c.status_code = 2) AS errorCount
      FROM spans c INDEXED BY spans_by_service_start
      JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
      WHERE c.service = ? AND c.start_ns >= ? AND c.start_ns < ? AND c.parent_span_id IS NOT NULL AND p.service <> c.service
      GROUP BY p.service, c.service`,
    )
    // Every parent/child pair with a span among those about to be deleted (rowids as a JSON array):
    // the traces of those spans are read by the (trace_id, span_id) index and each child is joined to its parent.
    this.selectPairsOfDeleted = db
      .prepare(
        `WITH gone(r) AS (SELECT value FROM json_each(?))
        SELECT c.rowid AS child_rowid, p.service AS parent, c.service AS child, c.start_ns, c.status_code, c.rowid IN gone AS child_gone
        FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
        WHERE c.trace_id IN (SELECT trace_id FROM spans WHERE rowid IN gone) AND c.parent_span_id IS NOT NULL
          AND (c.rowid IN gone OR p.rowid IN gone)`,
      )
      .safeIntegers(true)
    this.markParentMissing = db.prepare('UPDATE spans SET parent_missing = 1 WHERE rowid = ?')
  }

  /**
   * Within the write transaction, after its spans are inserted: counts the
   * calls from children stored by earlier batches to the parents this batch
   * stored (`newSpans`: span id in hex to service, per trace).
   */
  countLateParents(tally: DependencyTally, newSpans: ReadonlyMap<string, { traceIdBytes: Buffer; services: Map<string, string> }>): void {
    for (const { traceIdBytes, services } of newSpans.values()) {
      for (const row of this.selectAwaiting.all(traceIdBytes) as AwaitingRow[]) {
        const parent = services.get(row.parent_span_id.toString('hex'))
        if (parent !== undefined && parent !== row.service) tally.add(parent, row.service, row.start_ns, row.status_code === 2n, 1)
      }
    }
  }

  /**
   * Within the retention transaction, before the spans (by rowid) are
   * deleted: uncounts every call one of them took part in, and marks the
   * children that stay as awaiting their parent again.
   */
  forgetSpans(tally: DependencyTally, rowids: readonly number[]): void {
    for (const row of this.selectPairsOfDeleted.all(JSON.stringify(rowids)) as PairRow[]) {
      if (row.parent !== row.child) tally.add(row.parent, row.child, row.start_ns, row.status_code === 2n, -1)
      if (row.child_gone === 0n) this.markParentMissing.run(row.child_rowid)
    }
  }

  /** Writes a transaction's tally into every bucket size; buckets left with no call go. */
  write(tally: DependencyTally): void {
    const cells = new Map<string, { resolutionS: number; bucketS: number; parent: string; child: string; calls: number; errors: number }>()
    for (const cell of tally.bySecond.values()) {
      if (cell.calls === 0 && cell.errors === 0) continue
      for (const resolutionS of DEPENDENCY_BUCKET_SECONDS) {
        const bucketS = cell.second - (cell.second % resolutionS)
        const key = `${resolutionS}\u0000${bucketS}\u0000${cell.parent}\u0000${cell.child}`
        const known = cells.get(key)
        if (known === undefined) cells.set(key, { resolutionS, bucketS, parent: cell.parent, child: cell.child, calls: cell.calls, errors: cell.errors })
        else {
          known.calls += cell.calls
          known.errors += cell.errors
        }
      }
    }
    for (const c of cells.values()) {
      this.upsert.run(c.resolutionS, c.bucketS, c.parent, c.child, c.calls, c.errors)
      if (c.calls < 0) this.dropEmpty.run(c.resolutionS, c.bucketS, c.parent, c.child)
    }
  }

  /** Calls by child start in [startNs, endNs], both ends included. */
  read(startNs: bigint, endNs: bigint): DependencyEdge[] {
    const edges = new Map<string, DependencyEdge>()
    const add = (rows: Array<{ parent: string; child: string; callCount: number | bigint; errorCount: number | bigint }>): void => {
      for (const r of rows) {
        const key = `${r.parent}\u0000${r.child}`
        const known = edges.get(key)
        if (known === undefined) edges.set(key, { parent: r.parent, child: r.child, callCount: Number(r.callCount), errorCount: Number(r.errorCount) })
        else {
          known.callCount += Number(r.callCount)
          known.errorCount += Number(r.errorCount)
        }
      }
    }
    const cover = coverWindow(startNs, endNs + 1n)
    for (const b of cover.buckets) add(this.selectBuckets.all(b.resolutionS, b.fromS, b.toS) as Parameters<typeof add>[0])
    // The window's ends, shorter than a bucket, are counted from the spans: per service, by spans_by_service_start.
    const services = cover.spans.length > 0 ? servicesWithSpans(this.db) : []
    for (const s of cover.spans) for (const service of services) add(this.selectFromSpans.all(service, s.fromNs, s.toNs) as Parameters<typeof add>[0])
    return [...edges.values()].filter((e) => e.callCount > 0).sort((a, b) => byText(a.parent, b.parent) || byText(a.child, b.child))
  }
}
