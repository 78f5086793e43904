/**
 * The collector bench's own requests to a `--store clickhouse://…` server:
 * statements over its HTTP interface, waiting for the server to be done
 * merging before the measured ingest starts, and dropping the run's database
 * afterwards.
 *
 * Why: ClickHouse merges an insert's parts in the background, and on a
 * 2-core machine a merge left from an earlier run (or from the copies of
 * --copies) takes CPU and cache from the collector being measured. Runs
 * that kept their databases also left the server more parts to merge.
 */

/** The HTTP interface and database of a `--store clickhouse://user:password@host:port/database` URL. */
export function locationOf(store) {
  const url = new URL(store)
  const secure = url.protocol === 'clickhouses:'
  return {
    base: `${secure ? 'https' : 'http'}://${url.hostname}:${url.port || (secure ? '8443' : '8123')}`,
    user: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || 'tracecar',
  }
}

/** One statement in `database` (the location's by default); resolves with the answer's text. */
export async function sql(location, statement, database = location.database) {
  const params = new URLSearchParams({ database, user: location.user, password: location.password })
  const res = await fetch(`${location.base}/?${params}`, { method: 'POST', body: statement })
  const text = await res.text()
  if (!res.ok) throw new Error(`ClickHouse answered ${res.status} to ${statement.slice(0, 120)}…: ${text.slice(0, 300)}`)
  return text
}

/**
 * Resolves once the server has had no merge running for `quietMs` (checked every 250 ms), or after
 * `maxMs`; with the seconds waited and whether it got quiet.
 */
export async function awaitNoMerges(store, { quietMs = 2000, maxMs = 120_000 } = {}) {
  const location = locationOf(store)
  const started = performance.now()
  let quietSince = performance.now()
  while (performance.now() - started < maxMs) {
    const merging = Number((await sql(location, 'SELECT count() FROM system.merges', 'system')).trim())
    if (merging > 0) quietSince = performance.now()
    else if (performance.now() - quietSince >= quietMs) return { waitedSeconds: (performance.now() - started) / 1000, quiet: true }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return { waitedSeconds: (performance.now() - started) / 1000, quiet: false }
}

/** Drops the run's database (its merges would otherwise go on into the next run). */
export async function dropDatabase(store) {
  const location = locationOf(store)
  await sql(location, `DROP DATABASE IF EXISTS \`${location.database}\``, 'system')
}
