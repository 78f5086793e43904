/**
 * `--store clickhouse://user:password@host:8123/database`: where the
 * ClickHouse store lives (HTTP interface; `clickhouses://` for HTTPS, 8443 by
 * default). The database is created when missing.
 */
export interface ClickHouseLocation {
  /** http(s)://host:port of the HTTP interface */
  url: string
  username: string
  password: string
  database: string
}

export const CLICKHOUSE_URL_EXAMPLE = 'clickhouse://default@127.0.0.1:8123/tracecar'

/** True when `store` names a ClickHouse store rather than the embedded one. */
export function isClickHouseStore(store: string): boolean {
  return /^clickhouses?:\/\//i.test(store)
}

/** Throws an Error naming the value and what is allowed. */
export function parseClickHouseUrl(store: string): ClickHouseLocation {
  const fail = (why: string): never => {
    throw new Error(`--store ${JSON.stringify(store)}: ${why}; give e.g. ${CLICKHOUSE_URL_EXAMPLE}`)
  }
  let url: URL
  try {
    url = new URL(store)
  } catch {
    return fail('not a URL')
  }
  const secure = url.protocol === 'clickhouses:'
  if (!secure && url.protocol !== 'clickhouse:') fail('the scheme must be clickhouse:// or clickhouses://')
  if (url.hostname === '') fail('no host')
  const database = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, '')) || 'tracecar'
  // The name goes into DDL as an identifier: keep it to what needs no quoting.
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(database)) fail(`the database name ${JSON.stringify(database)} must be letters, digits and _`)
  const port = url.port === '' ? (secure ? '8443' : '8123') : url.port
  const host = url.hostname.includes(':') && !url.hostname.startsWith('[') ? `[${url.hostname}]` : url.hostname
  return {
    url: `${secure ? 'https' : 'http'}://${host}:${port}`,
    username: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database,
  }
}
