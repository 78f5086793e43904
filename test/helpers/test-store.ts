/**
 * Which store the collector tests run on. By default the embedded SQLite;
 * with TRACECAR_TEST_CLICKHOUSE=clickhouse://default@127.0.0.1:<port> (set by
 * test/collector/store-suite-on-clickhouse.test.ts) every collector a test
 * starts gets a database of its own on that ClickHouse, so the same suite
 * proves the same behaviour on both stores.
 */
import { createHash, randomBytes } from 'node:crypto'

export const TEST_CLICKHOUSE_ENV = 'TRACECAR_TEST_CLICKHOUSE'

/**
 * A `--store` value for one collector, or undefined for the default store:
 * a fresh database, or with `sameAs` (a data dir) the same database for every
 * collector started on that data dir (a restart finds what the last one stored).
 */
export function testStoreUrl(sameAs?: string): string | undefined {
  const base = process.env[TEST_CLICKHOUSE_ENV]
  if (base === undefined || base === '') return undefined
  const name = sameAs === undefined ? randomBytes(6).toString('hex') : createHash('sha1').update(sameAs).digest('hex').slice(0, 12)
  return `${base.replace(/\/+$/, '')}/t_${name}`
}

/** The store the tests run on, for skip reasons: 'sqlite' or 'clickhouse'. */
export function testStoreKind(): 'sqlite' | 'clickhouse' {
  return testStoreUrl() === undefined ? 'sqlite' : 'clickhouse'
}
