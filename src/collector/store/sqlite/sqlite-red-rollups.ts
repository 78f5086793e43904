/**
 * The RED rollups' own tables in the collector's SQLite database (module
 * `red-rollups` in schema_migrations), kept apart from spans so they can
 * outlive them: rollups are small and answer range queries without reading
 * a single span. Each flush merges its cells in one transaction (read, add,
 * write back: one process owns the file).
 */
import type Database from 'better-sqlite3'
import { applyMigrations } from './migrations.js'
import type { Migration } from './migrations.js'
import type { RedCell } from '../../metrics/red-rollup.js'
import { mergeCell } from '../../metrics/red-rollup.js'
import { cellFromRow, rowOfCell } from '../red-rollup-row.js'
import type { RedRollupRow } from '../red-rollup-row.js'
import type { RedRollupStore, RollupFilter } from '../store-roles.js'

export const RED_ROLLUPS_MODULE = 'red-rollups'

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

/** Columns in the table's order, for its positional INSERT. */
function rowValues(cell: RedCell): unknown[] {
  return Object.values(rowOfCell(cell))
}

export class SqliteRedRollups implements RedRollupStore {
  private readonly selectOne: Database.Statement
  private readonly upsert: Database.Statement
  private readonly mergeAll: (cells: readonly RedCell[]) => void

  constructor(private readonly db: Database.Database) {
    applyMigrations(db, RED_ROLLUPS_MODULE, MIGRATIONS)
    this.selectOne = db.prepare(
      'SELECT * FROM red_rollups WHERE resolution_ms = ? AND bucket_start_ms = ? AND service = ? AND operation = ? AND span_kind = ? AND status_class = ?',
    )
    this.upsert = db.prepare(`INSERT OR REPLACE INTO red_rollups VALUES (${new Array(16).fill('?').join(', ')})`)
    this.mergeAll = db.transaction((cells: readonly RedCell[]) => {
      for (const cell of cells) {
        const existing = this.selectOne.get(cell.resolutionMs, cell.bucketStartMs, cell.service, cell.operation, cell.spanKind, cell.statusClass) as
          RedRollupRow | undefined
        let merged = cell
        if (existing !== undefined) {
          merged = cellFromRow(existing)
          mergeCell(merged, cell)
        }
        this.upsert.run(...rowValues(merged))
      }
    })
  }

  async merge(cells: readonly RedCell[]): Promise<void> {
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
