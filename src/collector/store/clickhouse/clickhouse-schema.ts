/**
 * The ClickHouse store's tables, created and migrated at start-up.
 *
 * Versioned like the SQLite schema (`schema_migrations`, one row per module
 * and version), and safe when N collectors start at once: every statement is
 * idempotent (`IF NOT EXISTS`, and a table another collector created a moment
 * before counts as created), the version row is written only after all of a
 * migration's statements succeeded, and the table of versions is a
 * ReplacingMergeTree, so two collectors recording the same version leave one.
 * A database written by a newer tracecar is refused rather than guessed at.
 *
 * Only what ClickHouse 18.16 (Debian's) understands: no DateTime64, no
 * LowCardinality, no skip indexes, no TTL (set separately when the server
 * has it, clickhouse-storage.ts), no `ADD COLUMN IF NOT EXISTS`.
 *
 * Layout, each table ordered for the queries it answers:
 * - `spans`: every span whole, ReplacingMergeTree ordered by (trace_id, span_id):
 *   a trace by id reads one key range, and a span stored twice (an exporter's
 *   retried batch) is one row after merges; readers take `LIMIT 1 BY span_id`
 *   until then.
 * - `span_index`: the columns searches filter on, ordered by (service, start_ns),
 *   filled by a materialized view from `spans` (one insert writes both).
 * - `operations`: (service, name, kind), ReplacingMergeTree, from a view.
 * - `logs` ordered by (service, time_ns); `logs_by_trace` ordered by
 *   (trace_id, time_ns), from a view, for the logs of a trace.
 * - `red_rollups`: RED cells appended per flush, summed when read.
 * - `dependency_calls`: a call between services per child span, ordered by
 *   its start, written by the span writer (clickhouse-dependency-calls.ts).
 * All but `operations` are partitioned by day, so old data goes a day at a time.
 */
import type { ClickHouseClient } from '@clickhouse/client'
import { sqlString } from './clickhouse-sql.js'
import { DEPENDENCY_CALLS_STATEMENTS } from './clickhouse-dependency-calls.js'

export const CLICKHOUSE_STORE_MODULE = 'trace-store'

export interface ClickHouseMigration {
  version: number
  description: string
  statements: readonly string[]
}

const SPAN_SEARCH_COLUMNS = `service String,
  start_ns UInt64,
  trace_id String,
  span_id String,
  parent_span_id String,
  name String,
  kind UInt8,
  duration_ns UInt64,
  status_code UInt8,
  status_message String,
  trace_state String,
  scope_name String,
  scope_version String,
  attr_keys Array(String),
  attr_values Array(String),
  event_keys Array(String),
  event_values Array(String),
  start_date Date`

const LOG_COLUMNS = `time_ns UInt64,
  observed_ns UInt64,
  seq UInt64,
  record_id String,
  severity_number UInt8,
  severity_text String,
  body String,
  trace_id String,
  span_id String,
  service String,
  resource String,
  scope_name String,
  scope_version String,
  attributes String,
  flags UInt32,
  time_date Date`

/**
 * The tables read by trace id hold whole spans and log records (attributes, events, resource as
 * text), and a read decompresses every granule a trace touches: at ClickHouse's default of 8192
 * rows, megabytes for a trace of ten spans. At 10M spans, 256 rows read the attributes of 300
 * candidate traces (an any-span attribute search) in 43-65 ms against 78-160 at 1024, and 20 whole
 * traces in 44 against 89 ms. The primary index grows as the granules shrink: at 256 rows it is
 * about 2 MiB of ClickHouse's memory per 10M spans (200 MiB at a billion). A table's granularity is
 * fixed when it is created: databases created before keep theirs (correct, only slower).
 */
const BY_ID_GRANULES = 'SETTINGS index_granularity = 256'

export const CLICKHOUSE_MIGRATIONS: readonly ClickHouseMigration[] = [
  {
    version: 1,
    description: 'spans by trace id, span search index, operations, logs by service and by trace id, RED rollups',
    statements: [
      `CREATE TABLE IF NOT EXISTS spans (
        ${SPAN_SEARCH_COLUMNS},
        end_ns UInt64,
        flags UInt32,
        resource String,
        attributes String,
        events String,
        links String
      ) ENGINE = ReplacingMergeTree PARTITION BY start_date ORDER BY (trace_id, span_id) ${BY_ID_GRANULES}`,
      `CREATE TABLE IF NOT EXISTS span_index (${SPAN_SEARCH_COLUMNS}) ENGINE = MergeTree PARTITION BY start_date ORDER BY (service, start_ns)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS span_index_mv TO span_index AS SELECT
        service, start_ns, trace_id, span_id, parent_span_id, name, kind, duration_ns, status_code, status_message, trace_state,
        scope_name, scope_version, attr_keys, attr_values, event_keys, event_values, start_date FROM spans`,
      'CREATE TABLE IF NOT EXISTS operations (service String, name String, kind UInt8) ENGINE = ReplacingMergeTree ORDER BY (service, name, kind)',
      'CREATE MATERIALIZED VIEW IF NOT EXISTS operations_mv TO operations AS SELECT service, name, kind FROM spans GROUP BY service, name, kind',
      `CREATE TABLE IF NOT EXISTS logs (${LOG_COLUMNS}) ENGINE = ReplacingMergeTree PARTITION BY time_date ORDER BY (service, time_ns, record_id)`,
      `CREATE TABLE IF NOT EXISTS logs_by_trace (${LOG_COLUMNS}) ENGINE = ReplacingMergeTree PARTITION BY time_date ORDER BY (trace_id, time_ns, record_id) ${BY_ID_GRANULES}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS logs_by_trace_mv TO logs_by_trace AS SELECT
        time_ns, observed_ns, seq, record_id, severity_number, severity_text, body, trace_id, span_id, service, resource,
        scope_name, scope_version, attributes, flags, time_date FROM logs WHERE trace_id != ''`,
      `CREATE TABLE IF NOT EXISTS red_rollups (
        resolution_ms UInt32,
        bucket_start_ms UInt64,
        service String,
        operation String,
        span_kind String,
        status_class String,
        requests UInt64,
        errors UInt64,
        duration_sum_ms Float64,
        duration_min_ms Float64,
        duration_max_ms Float64,
        histogram String,
        slowest_trace_id String,
        slowest_ms Float64,
        error_trace_id String,
        error_ms Float64,
        bucket_date Date
      ) ENGINE = MergeTree PARTITION BY bucket_date ORDER BY (resolution_ms, service, bucket_start_ms, operation, span_kind, status_class)`,
    ],
  },
  {
    version: 2,
    description: 'calls between services, one row per child span, written at insert (and counted for the spans already stored)',
    statements: DEPENDENCY_CALLS_STATEMENTS,
  },
]

/** The tables with a day partition and the Date column it is taken from (retention works on them). */
export const DATED_TABLES: ReadonlyArray<{ table: string; dateColumn: string; timeColumn: string }> = [
  { table: 'spans', dateColumn: 'start_date', timeColumn: 'start_ns' },
  { table: 'span_index', dateColumn: 'start_date', timeColumn: 'start_ns' },
  { table: 'logs', dateColumn: 'time_date', timeColumn: 'time_ns' },
  { table: 'logs_by_trace', dateColumn: 'time_date', timeColumn: 'time_ns' },
  { table: 'dependency_calls', dateColumn: 'start_date', timeColumn: 'start_ns' },
]

/** ClickHouse error codes that mean "another collector just did it". */
const ALREADY_EXISTS_CODES = new Set(['44', '57'])

function alreadyExists(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && ALREADY_EXISTS_CODES.has(code)
}

/** Creates the database's tables or brings them up to date; resolves with the version now in place. */
export async function migrateClickHouse(client: ClickHouseClient, migrations: readonly ClickHouseMigration[] = CLICKHOUSE_MIGRATIONS): Promise<number> {
  await client
    .command({
      query: `CREATE TABLE IF NOT EXISTS schema_migrations (
      module String, version UInt32, description String, applied_at_unix_ms UInt64
    ) ENGINE = ReplacingMergeTree ORDER BY (module, version)`,
    })
    .catch((err: unknown) => {
      if (!alreadyExists(err)) throw err
    })
  const rows = await (
    await client.query({
      query: `SELECT max(version) AS version FROM schema_migrations WHERE module = ${sqlString(CLICKHOUSE_STORE_MODULE)}`,
      format: 'JSONEachRow',
    })
  ).json<{ version: number | string }>()
  const current = Number(rows[0]?.version ?? 0)
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0)
  if (current > latest) {
    throw new Error(
      `the ClickHouse database's ${CLICKHOUSE_STORE_MODULE} schema is version ${current}, but this tracecar knows versions up to ${latest}: ` +
        'it was written by a newer tracecar; use that version or another database',
    )
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue
    for (const statement of migration.statements) {
      await client.command({ query: statement }).catch((err: unknown) => {
        if (!alreadyExists(err)) throw new Error(`schema version ${migration.version} (${migration.description}) failed: ${(err as Error).message}`)
      })
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ module: CLICKHOUSE_STORE_MODULE, version: migration.version, description: migration.description, applied_at_unix_ms: Date.now() }],
      format: 'JSONEachRow',
    })
  }
  return Math.max(current, latest)
}
