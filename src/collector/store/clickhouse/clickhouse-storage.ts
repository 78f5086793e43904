/**
 * The ClickHouse storage (`--store clickhouse://…`): several collectors
 * share one database, and any of them answers every query over what all of
 * them stored. Opening it creates the database and its tables (or migrates
 * them), then hands out the roles: ClickHouseTraceStore for spans, logs and
 * dependencies, ClickHouseRedRollups for the RED rollups, and retention
 * either as table TTL (servers from 19.6) or as ClickHouseRetention.
 *
 * Runs against the ClickHouse Debian ships (18.16) through the official
 * client, and plain POSTs for the writes (clickhouse-ingest-http.ts): their
 * HTTP calls (ping, query, command, JSONEachRow and TabSeparated inserts)
 * all work there; what 18.16 lacks (query parameters, insert_deduplication_token, TTL,
 * LowCardinality, DateTime64) is not used, or only once the server's version
 * says it is there.
 */
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import type { ClickHouseClient } from '@clickhouse/client'
import type { TraceStorage } from '../store-roles.js'
import { ClickHouseRedRollups } from './clickhouse-red-rollups.js'
import { ClickHouseRetention } from './clickhouse-retention.js'
import { DATED_TABLES, migrateClickHouse } from './clickhouse-schema.js'
import { sqlUInt } from './clickhouse-sql.js'
import { ClickHouseIngestHttp } from './clickhouse-ingest-http.js'
import { ClickHouseTraceStore } from './clickhouse-trace-store.js'
import { parseClickHouseUrl } from './clickhouse-url.js'
import type { ClickHouseLocation } from './clickhouse-url.js'

export interface ClickHouseStorageOptions {
  /** clickhouse://user:password@host:8123/database */
  url: string
  /** Keep spans and logs this long (table TTL, rounded up to whole days, or deletes by a worker). */
  maxAgeMs?: number
  /** How long one request to ClickHouse may take before it fails (default 30 s). */
  requestTimeoutMs?: number
  log: (line: string) => void
}

function clientFor(location: ClickHouseLocation, database: string | undefined, requestTimeoutMs: number): ClickHouseClient {
  return createClient({
    url: location.url,
    username: location.username,
    password: location.password,
    database,
    application: 'tracecar',
    request_timeout: requestTimeoutMs,
    // Failures reach the caller (a 503 to the sender, a line in the collector's log); the client's own logging would repeat them.
    log: { level: ClickHouseLogLevel.OFF },
  })
}

/** [major, minor] of `SELECT version()` ('18.16.1', '24.8.4.13'). */
function versionOf(text: string): [number, number] {
  const [major, minor] = text.split('.').map(Number)
  return [major ?? 0, minor ?? 0]
}

function supportsTtl([major, minor]: [number, number]): boolean {
  return major > 19 || (major === 19 && minor >= 6)
}

export async function openClickHouseStorage(options: ClickHouseStorageOptions): Promise<TraceStorage> {
  const location = parseClickHouseUrl(options.url)
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const where = `${location.url}/${location.database}`
  const bootstrap = clientFor(location, undefined, timeoutMs)
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${location.database}` })
  } catch (err) {
    throw new Error(`ClickHouse at ${location.url} did not answer CREATE DATABASE ${location.database}: ${(err as Error).message}`)
  } finally {
    await bootstrap.close()
  }
  const client = clientFor(location, location.database, timeoutMs)
  try {
    const versionText = (await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>())[0]?.v ?? '0'
    const version = versionOf(versionText)
    await migrateClickHouse(client)
    let retention: ClickHouseRetention | undefined
    if (options.maxAgeMs !== undefined) {
      if (supportsTtl(version)) {
        const days = Math.max(1, Math.ceil(options.maxAgeMs / 86_400_000))
        for (const { table, dateColumn } of DATED_TABLES) {
          await client.command({ query: `ALTER TABLE ${table} MODIFY TTL ${dateColumn} + toIntervalDay(${sqlUInt(days)})` })
        }
      } else {
        retention = new ClickHouseRetention(client)
      }
    }
    const ingest = new ClickHouseIngestHttp(location, timeoutMs)
    const store = new ClickHouseTraceStore(client, ingest)
    return {
      description: `ClickHouse ${versionText} at ${where}${options.maxAgeMs === undefined ? '' : retention === undefined ? ' (retention by table TTL)' : ' (retention by deletes: no TTL before 19.6)'}`,
      spanWriter: store,
      spanReader: store,
      logWriter: store,
      logReader: store,
      dependencyReader: store,
      redRollups: new ClickHouseRedRollups(client),
      retention,
      close: () => {
        ingest.close()
        return client.close()
      },
    }
  } catch (err) {
    await client.close()
    throw new Error(`ClickHouse store at ${where}: ${(err as Error).message}`)
  }
}
