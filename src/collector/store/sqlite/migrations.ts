/**
 * Versioned schema migrations, per module: the trace store is one module,
 * and other collector parts (RED rollups, alerts) keep their own tables in
 * the same database under their own module name. Each migration runs in its
 * own transaction and is recorded in `schema_migrations`; a database written
 * by a newer tracecar is refused rather than guessed at.
 */
import type Database from 'better-sqlite3'

export interface Migration {
  version: number
  description: string
  up(db: Database.Database): void
}

/**
 * Brings `module`'s tables to the latest version. `onUpgrade` hears of each
 * migration about to run on tables that already existed (an upgrade, not a
 * new file): one may read every stored row, and the collector listens for
 * nothing meanwhile.
 */
export function applyMigrations(db: Database.Database, module: string, migrations: readonly Migration[], onUpgrade?: (migration: Migration) => void): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    module TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at_unix_ms INTEGER NOT NULL,
    PRIMARY KEY (module, version)
  )`)
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations WHERE module = ?').get(module) as { version: number | null }
  const current = row.version ?? 0
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0)
  if (current > latest) {
    throw new Error(
      `the database's ${module} schema is version ${current}, but this tracecar knows versions up to ${latest}: it was written by a newer tracecar; use that version or another --data-dir`,
    )
  }
  const record = db.prepare('INSERT INTO schema_migrations (module, version, description, applied_at_unix_ms) VALUES (?, ?, ?, ?)')
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue
    if (current > 0) onUpgrade?.(migration)
    db.transaction(() => {
      migration.up(db)
      record.run(module, migration.version, migration.description, Date.now())
    })()
  }
}
