/**
 * RED rollups in ClickHouse: every flush of every collector appends its
 * cells as rows (one INSERT), and a read adds up the rows of each key and
 * bucket. No read-modify-write, so N collectors merge into one table without
 * locks; flushes come once a second or less often (red-metrics.ts; more
 * often only past its bound on pending cells), so a 10 s bucket holds about
 * ten rows per key and collector until ClickHouse's merges.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import type { RedCell, RedCellUpdate } from '../../metrics/red-rollup.js'
import { cellId, mergeCell } from '../../metrics/red-rollup.js'
import { cellFromRow, rowOfCell } from '../red-rollup-row.js'
import type { RedRollupRow } from '../red-rollup-row.js'
import type { RedRollupStore, RollupFilter } from '../store-roles.js'
import { unreachableOr } from '../store-unreachable.js'
import { sqlString, sqlUInt } from './clickhouse-sql.js'

type StoredRow = Omit<RedRollupRow, 'histogram' | 'bucket_start_ms' | 'requests' | 'errors'> & {
  histogram: string
  bucket_start_ms: string
  requests: string
  errors: string
}

export class ClickHouseRedRollups implements RedRollupStore {
  constructor(private readonly client: ClickHouseClient) {}

  private async rows<T>(query: string): Promise<T[]> {
    try {
      return await (await this.client.query({ query, format: 'JSONEachRow' })).json<T>()
    } catch (err) {
      throw unreachableOr(err, 'ClickHouse')
    }
  }

  async merge(cells: readonly RedCellUpdate[]): Promise<void> {
    if (cells.length === 0) return
    const values = cells.map((cell) => {
      const row = rowOfCell(cell)
      return { ...row, histogram: Buffer.from(row.histogram).toString('base64'), bucket_date: new Date(row.bucket_start_ms).toISOString().slice(0, 10) }
    })
    await this.client.insert({ table: 'red_rollups', values, format: 'JSONEachRow' })
  }

  async cells(resolutionMs: number, startMs: number, endMs: number, filter: RollupFilter = {}): Promise<RedCell[]> {
    const where = [`resolution_ms = ${sqlUInt(resolutionMs)}`, `bucket_start_ms >= ${sqlUInt(startMs)}`, `bucket_start_ms < ${sqlUInt(endMs)}`]
    if (filter.service !== undefined) where.push(`service = ${sqlString(filter.service)}`)
    if (filter.operation !== undefined) where.push(`operation = ${sqlString(filter.operation)}`)
    if (filter.spanKind !== undefined) where.push(`span_kind = ${sqlString(filter.spanKind)}`)
    const rows = await this.rows<StoredRow>(
      `SELECT resolution_ms, bucket_start_ms, service, operation, span_kind, status_class, requests, errors, duration_sum_ms, duration_min_ms,
        duration_max_ms, histogram, slowest_trace_id, slowest_ms, error_trace_id, error_ms FROM red_rollups WHERE ${where.join(' AND ')}`,
    )
    const merged = new Map<string, RedCell>()
    for (const row of rows) {
      const cell = cellFromRow({
        ...row,
        resolution_ms: Number(row.resolution_ms),
        bucket_start_ms: Number(row.bucket_start_ms),
        requests: Number(row.requests),
        errors: Number(row.errors),
        histogram: Buffer.from(row.histogram, 'base64'),
      })
      const id = cellId(cell)
      const known = merged.get(id)
      if (known === undefined) merged.set(id, cell)
      else mergeCell(known, cell)
    }
    return [...merged.values()]
  }

  async oldestBucketMs(resolutionMs: number): Promise<number | undefined> {
    const row = (
      await this.rows<{ t: string; n: string }>(
        `SELECT min(bucket_start_ms) AS t, count() AS n FROM red_rollups WHERE resolution_ms = ${sqlUInt(resolutionMs)}`,
      )
    )[0]
    return row === undefined || Number(row.n) === 0 ? undefined : Number(row.t)
  }

  /** Counts the rows and asks ClickHouse to delete them (a mutation: it finishes in the background). */
  async deleteOlderThan(resolutionMs: number, cutoffMs: number): Promise<number> {
    const where = `resolution_ms = ${sqlUInt(resolutionMs)} AND bucket_start_ms < ${sqlUInt(cutoffMs)}`
    const n = Number((await this.rows<{ n: string }>(`SELECT count() AS n FROM red_rollups WHERE ${where}`))[0]?.n ?? 0)
    if (n > 0) await this.client.command({ query: `ALTER TABLE red_rollups DELETE WHERE ${where}` })
    return n
  }
}
