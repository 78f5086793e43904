/**
 * Retention by age for a ClickHouse without table TTL (before 19.6, such as
 * Debian's 18.16): each pass asks ClickHouse to delete the rows older than
 * the cutoff from every dated table (a mutation, carried out in the
 * background, part by part). Servers with TTL get it set on the tables
 * instead (clickhouse-storage.ts) and no worker runs. Retention by size is
 * the embedded store's; the collector refuses --max-db-size with ClickHouse.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { msToNs } from '../../otlp/otlp-values.js'
import type { RetentionStep, RetentionStore } from '../store-roles.js'
import { DATED_TABLES } from './clickhouse-schema.js'
import { sqlUInt } from './clickhouse-sql.js'

export class ClickHouseRetention implements RetentionStore {
  /** The cutoff of the last mutations asked for: the worker's next step in the same pass has nothing new to ask. */
  private lastCutoffNs = -1n

  constructor(private readonly client: ClickHouseClient) {}

  private async count(query: string): Promise<number> {
    const result = await this.client.query({ query, format: 'JSONEachRow' })
    return Number((await result.json<{ n: string }>())[0]?.n ?? 0)
  }

  async deleteOlderThan(cutoffUnixMs: number): Promise<RetentionStep> {
    const cutoff = msToNs(cutoffUnixMs)
    if (cutoff <= this.lastCutoffNs) return { deleted: 0 }
    const deleted =
      (await this.count(`SELECT count() AS n FROM spans WHERE start_ns < ${sqlUInt(cutoff)}`)) +
      (await this.count(`SELECT count() AS n FROM logs WHERE time_ns < ${sqlUInt(cutoff)}`))
    if (deleted > 0) {
      for (const { table, timeColumn } of DATED_TABLES) {
        await this.client.command({ query: `ALTER TABLE ${table} DELETE WHERE ${timeColumn} < ${sqlUInt(cutoff)}` })
      }
    }
    this.lastCutoffNs = cutoff
    return { deleted }
  }

  async deleteOldest(): Promise<RetentionStep> {
    return { deleted: 0 }
  }

  async pruneServices(): Promise<number> {
    return 0
  }

  async usedBytes(): Promise<number> {
    return this.count('SELECT sum(bytes) AS n FROM system.parts WHERE database = currentDatabase() AND active')
  }

  async reclaimSpace(): Promise<void> {}
}
