/**
 * A database written before calls between services were counted at ingest
 * (trace-store schema version 2) is migrated when the collector opens it:
 * the calls already stored are counted, and a child stored there before its
 * parent is counted when the parent arrives after the upgrade. Version 4
 * then drops the index on start alone.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector, tempDataDir } from './helpers.js'
import { testStoreKind } from '../helpers/test-store.js'

/** Takes the file back to schema version 2, as a tracecar without the counts left it. */
function downgradeToVersion2(path: string): void {
  const db = new Database(path)
  try {
    db.exec(`
      DROP TABLE dependency_calls;
      DROP INDEX spans_awaiting_parent;
      ALTER TABLE spans DROP COLUMN parent_missing;
      CREATE INDEX spans_by_start ON spans (start_ns);
      DELETE FROM schema_migrations WHERE module = 'trace-store' AND version >= 3;
    `)
  } finally {
    db.close()
  }
}

t.test(
  'a version 2 database gets its stored calls counted, and late parents after the upgrade',
  { skip: testStoreKind() !== 'sqlite' && 'SQLite only' },
  async (t) => {
    const dataDir = tempDataDir()
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
    const start = Date.now() - 20 * 60_000
    const stored = { traceId: hexId(16), parent: hexId(8), child: hexId(8) }
    const late = { traceId: hexId(16), parent: hexId(8), child: hexId(8) }
    const window = `start=${start - 60_000}&end=${start + 60_000}`

    const before = await startTestCollector({ dataDir })
    const sent = [
      jsonTraceRequest({
        api: [{ traceId: stored.traceId, spanId: stored.parent, name: 'GET /', startMs: start, durationMs: 4 }],
        db: [{ traceId: stored.traceId, spanId: stored.child, parentSpanId: stored.parent, name: 'SELECT', startMs: start + 1, durationMs: 1, status: 2 }],
      }),
      // Its parent comes only after the upgrade.
      jsonTraceRequest({
        db: [{ traceId: late.traceId, spanId: late.child, parentSpanId: late.parent, name: 'SELECT', startMs: start + 1500, durationMs: 1 }],
      }),
    ]
    for (const body of sent) t.equal((await postJson(`${before.otlpUrl}/v1/traces`, body)).status, 200)
    await before.close()
    downgradeToVersion2(join(dataDir, 'tracecar.db'))

    const after = await startTestCollector({ dataDir })
    t.teardown(() => after.close())
    t.match(after.logs.join('\n'), /upgrading .*tracecar\.db to trace-store schema version 3 .*runs once/, 'the upgrade is said in the log before it runs')
    t.notMatch(before.logs.join('\n'), /upgrading/, 'a new file is not an upgrade')
    t.same(
      (await getJson(`${after.apiUrl}/api/dependencies?${window}`)).body.edges,
      [{ parent: 'api', child: 'db', callCount: 1, errorCount: 1 }],
      'stored calls counted',
    )
    const parent = jsonTraceRequest({ api: [{ traceId: late.traceId, spanId: late.parent, name: 'GET /', startMs: start + 1499, durationMs: 4 }] })
    t.equal((await postJson(`${after.otlpUrl}/v1/traces`, parent)).status, 200)
    t.same(
      (await getJson(`${after.apiUrl}/api/dependencies?${window}`)).body.edges,
      [{ parent: 'api', child: 'db', callCount: 2, errorCount: 1 }],
      'the child stored before the upgrade is counted when its parent arrives',
    )
    const versions = new Database(join(dataDir, 'tracecar.db'), { readonly: true })
    t.teardown(() => versions.close())
    t.equal(versions.prepare("SELECT MAX(version) FROM schema_migrations WHERE module = 'trace-store'").pluck().get(), 4, 'recorded as version 4')
    t.same(
      versions.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'spans' ORDER BY name").pluck().all(),
      ['spans_awaiting_parent', 'spans_by_service_start', 'spans_by_trace', 'spans_with_links'],
      'version 4 dropped the index on start alone',
    )
  },
)
