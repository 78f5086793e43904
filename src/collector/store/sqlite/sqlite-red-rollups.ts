/**
 * The RED rollups' own tables in the collector's SQLite database (module
 * `red-rollups` in schema_migrations), kept apart from spans so they can
 * outlive them: rollups are small and answer range queries without reading
 * a single span. Each flush merges its cells in one transaction, each cell by
 * one upsert that adds it to the stored row inside SQLite: reading every row
 * back into a cell to merge it in JavaScript was most of the collector's CPU
 * when spans arrive scattered over the hour, as each flush then touches
 * thousands of buckets.
 *
 * A histogram's (bucket, count) pairs are appended to the stored ones, in
 * SQL; a reader adds up repeated buckets (cellFromRow). Only when the
 * appended list would pass `MAX_APPENDED_HISTOGRAM_BYTES` are the two added
 * into one pair per bucket by `red_histogram_add`, a JavaScript function of
 * this connection: calling it for every upsert was a third to half of a
 * flush's CPU.
 * Rows written either way read the same, by this tracecar and older ones.
 */
import type Database from 'better-sqlite3'
import { applyMigrations } from './migrations.js'
import type { Migration } from './migrations.js'
import { addEncodedCounts } from '../../metrics/duration-histogram.js'
import type { RedCell, RedCellUpdate } from '../../metrics/red-rollup.js'
import { cellFromRow } from '../red-rollup-row.js'
import type { RedRollupRow } from '../red-rollup-row.js'
import type { RedRollupStore, RollupFilter } from '../store-roles.js'

export const RED_ROLLUPS_MODULE = 'red-rollups'

/**
 * 64 pairs: room for a wide histogram (one over a 100x range of durations
 * holds some 30 buckets) to take a few dozen appended pairs before they are
 * added up, while a row stays well under the ~1 KB of payload SQLite keeps in
 * its B-tree page (the rest would go to overflow pages).
 */
const MAX_APPENDED_HISTOGRAM_BYTES = 512

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'RED rollups per resolution, time bucket, service, operation, span kind and status class',
    up(db) {
      db.exec(`CREATE TABLE red_rollups (
        resolution_ms INTEGER NOT NULL,
        bucket_start_ms INTEGER NOT NULL,
        service TEXT NOT NULL,
        operation TEXT NOT NULL,
        span_kind TEXT NOT NULL,
        status_class TEXT NOT NULL,
        requests INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        duration_sum_ms REAL NOT NULL,
        duration_min_ms REAL NOT NULL,
        duration_max_ms REAL NOT NULL,
        histogram BLOB NOT NULL,
        slowest_trace_id TEXT NOT NULL,
        slowest_ms REAL NOT NULL,
        error_trace_id TEXT NOT NULL,
        error_ms REAL NOT NULL,
        PRIMARY KEY (resolution_ms, bucket_start_ms, service, operation, span_kind, status_class)
      ) WITHOUT ROWID`)
      db.exec('CREATE INDEX red_rollups_by_service ON red_rollups (resolution_ms, service, bucket_start_ms)')
    },
  },
]

export class SqliteRedRollups implements RedRollupStore {
  private readonly upsert: Database.Statement
  private readonly mergeAll: (cells: readonly RedCellUpdate[]) => void

  constructor(private readonly db: Database.Database) {
    applyMigrations(db, RED_ROLLUPS_MODULE, MIGRATIONS)
    db.function('red_histogram_add', { deterministic: true }, (stored: unknown, added: unknown) => addEncodedCounts(stored as Uint8Array, added as Uint8Array))
    // The same merge as mergeCell over cellFromRow: counts and sums add up; min and max
    // count only from a side with requests (a row with none stores 0 for them); an example
    // trace is replaced only by a strictly slower one. Histograms: see the top of this file
    // (|| makes text of two blobs; the CAST keeps the bytes, as a BLOB).
    this.upsert = db.prepare(`INSERT INTO red_rollups VALUES (${new Array(16).fill('?').join(', ')})
      ON CONFLICT (resolution_ms, bucket_start_ms, service, operation, span_kind, status_class) DO UPDATE SET
        requests = requests + excluded.requests,
        errors = errors + excluded.errors,
        duration_sum_ms = duration_sum_ms + excluded.duration_sum_ms,
        duration_min_ms = CASE WHEN excluded.requests = 0 THEN duration_min_ms WHEN requests = 0 THEN excluded.duration_min_ms
          ELSE min(duration_min_ms, excluded.duration_min_ms) END,
        duration_max_ms = CASE WHEN excluded.requests = 0 THEN duration_max_ms WHEN requests = 0 THEN excluded.duration_max_ms
          ELSE max(duration_max_ms, excluded.duration_max_ms) END,
        histogram = CASE WHEN length(histogram) + length(excluded.histogram) <= ${MAX_APPENDED_HISTOGRAM_BYTES}
          THEN CAST(histogram || excluded.histogram AS BLOB) ELSE red_histogram_add(histogram, excluded.histogram) END,
        slowest_trace_id = CASE WHEN excluded.slowest_ms > slowest_ms THEN excluded.slowest_trace_id ELSE slowest_trace_id END,
        slowest_ms = max(slowest_ms, excluded.slowest_ms),
        error_trace_id = CASE WHEN excluded.error_ms > error_ms THEN excluded.error_trace_id ELSE error_trace_id END,
        error_ms = max(error_ms, excluded.error_ms)`)
    this.mergeAll = db.transaction((cells: readonly RedCellUpdate[]) => {
      // The columns in the table's order (rowOfCell's values), bound without building that row per cell.
      for (const c of cells) {
        const h = c.histogram
        this.upsert.run(
          c.resolutionMs,
          c.bucketStartMs,
          c.service,
          c.operation,
          c.spanKind,
          c.statusClass,
          c.requests,
          c.errors,
          h.sumMs,
          Number.isFinite(h.minMs) ? h.minMs : 0,
          Number.isFinite(h.maxMs) ? h.maxMs : 0,
          h.encodeCounts(),
          c.slowestTraceId,
          c.slowestMs,
          c.errorTraceId,
          c.errorMs,
        )
      }
    })
  }

  async merge(cells: readonly RedCellUpdate[]): Promise<void> {
    if (cells.length > 0) this.mergeAll(cells)
  }

  async cells(resolutionMs: number, startMs: number, endMs: number, filter: RollupFilter = {}): Promise<RedCell[]> {
    let sql = 'SELECT * FROM red_rollups WHERE resolution_ms = ? AND bucket_start_ms >= ? AND bucket_start_ms < ?'
    const args: unknown[] = [resolutionMs, startMs, endMs]
    if (filter.service !== undefined) {
      sql += ' AND service = ?'
      args.push(filter.service)
    }
    if (filter.operation !== undefined) {
      sql += ' AND operation = ?'
      args.push(filter.operation)
    }
    if (filter.spanKind !== undefined) {
      sql += ' AND span_kind = ?'
      args.push(filter.spanKind)
    }
    return (this.db.prepare(sql).all(...args) as RedRollupRow[]).map(cellFromRow)
  }

  async oldestBucketMs(resolutionMs: number): Promise<number | undefined> {
    const row = this.db.prepare('SELECT MIN(bucket_start_ms) AS t FROM red_rollups WHERE resolution_ms = ?').get(resolutionMs) as { t: number | null }
    return row.t ?? undefined
  }

  async deleteOlderThan(resolutionMs: number, cutoffMs: number): Promise<number> {
    return this.db.prepare('DELETE FROM red_rollups WHERE resolution_ms = ? AND bucket_start_ms < ?').run(resolutionMs, cutoffMs).changes
  }
}
