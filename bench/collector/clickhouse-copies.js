/**
 * `--copies N` of the collector bench, for a ClickHouse store: after the
 * spans went in through the collector, copies them N - 1 more times inside
 * ClickHouse, each copy under new trace ids (an MD5 of the old id and the copy
 * number, so copies never meet an original trace), with the same services,
 * operations, attributes and start times. The materialized views fill the
 * search index and operations as they do for the collector's inserts, and the
 * calls between services are copied the same way. So the queries run over N
 * times the spans, as dense in time, for the ingest cost of one copy: 10M spans
 * through the collector take longer than a bench run should.
 *
 * Copying needs only what the collector wrote, whatever columns its schema
 * has: the column lists come from system.columns.
 */
import { locationOf, sql } from './clickhouse-http.js'

async function columnsOf(location, table) {
  // Only the columns an INSERT takes: not MATERIALIZED or ALIAS ones.
  const text = await sql(
    location,
    `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${table}' AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') FORMAT TabSeparated`,
  )
  return text.split('\n').filter(Boolean)
}

/** The id of trace `column` in copy `copy`: 32 lower-case hex digits, as the collector stores ids. */
const copiedTraceId = (column, copy) => `lower(hex(MD5(concat(${column}, '/${copy}'))))`

/**
 * Copies `table`'s rows as they are now (copy 0) as copies 1..copies-1, from a snapshot (a Log
 * table), so each copy is made from the originals. Resolves with the rows per copy.
 */
async function copyTable(location, table, copies) {
  const columns = await columnsOf(location, table)
  if (columns.length === 0) return 0
  const list = columns.join(', ')
  const snapshot = `${table}_copy_source`
  await sql(location, `DROP TABLE IF EXISTS ${snapshot}`)
  await sql(location, `CREATE TABLE ${snapshot} ENGINE = Log AS SELECT ${list} FROM ${table}`)
  try {
    for (let copy = 1; copy < copies; copy++) {
      const select = columns.map((c) => (c === 'trace_id' ? `${copiedTraceId('trace_id', copy)} AS trace_id` : c)).join(', ')
      await sql(location, `INSERT INTO ${table} (${list}) SELECT ${select} FROM ${snapshot}`)
    }
    return Number((await sql(location, `SELECT count() FROM ${snapshot}`)).trim())
  } finally {
    await sql(location, `DROP TABLE IF EXISTS ${snapshot}`)
  }
}

/**
 * Makes the store hold `copies` times the spans it holds now. Reports progress on stderr;
 * resolves with the spans stored in the end.
 */
export async function copySpansInClickHouse(store, copies) {
  const location = locationOf(store)
  const started = performance.now()
  process.stderr.write(`  copying the stored spans ${copies - 1} more times inside ClickHouse…\n`)
  const spansPerCopy = await copyTable(location, 'spans', copies)
  const tables = (
    await sql(location, "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'dependency_calls' FORMAT TabSeparated")
  ).trim()
  if (tables === 'dependency_calls') await copyTable(location, 'dependency_calls', copies)
  const total = Number((await sql(location, 'SELECT count() FROM spans')).trim())
  process.stderr.write(`  ${total} spans stored (${spansPerCopy} per copy), copied in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
  return total
}
