/**
 * The embedded storage: one SQLite file holds spans, logs and the RED
 * rollups, and one object (SqliteTraceStore) plays every span, log,
 * dependency and retention role. The file's handle stays in this folder.
 */
import type { TraceStorage } from '../store-roles.js'
import { SqliteRedRollups } from './sqlite-red-rollups.js'
import { SqliteTraceStore } from './sqlite-trace-store.js'
import type { SqliteTraceStoreOptions } from './sqlite-trace-store.js'

export function openSqliteStorage(options: SqliteTraceStoreOptions): TraceStorage {
  const store = new SqliteTraceStore(options)
  let redRollups: SqliteRedRollups
  try {
    redRollups = new SqliteRedRollups(store.db)
  } catch (err) {
    store.close()
    throw err
  }
  return {
    description: `SQLite ${options.path}`,
    spanWriter: store,
    spanReader: store,
    logWriter: store,
    logReader: store,
    dependencyReader: store,
    redRollups,
    retention: store,
    close: async () => store.close(),
  }
}
