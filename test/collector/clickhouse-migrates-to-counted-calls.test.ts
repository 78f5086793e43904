/**
 * A ClickHouse database written before calls between services were written
 * at insert (schema version 1) is migrated when a collector opens it: the
 * calls of the spans already stored are counted, once each.
 */
import t from 'tap'
import { missingClickHouse, startClickHouse } from '../helpers/clickhouse-server.js'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

t.setTimeout(180_000)
t.test('a version 1 database gets the calls of its stored spans', { skip: missingClickHouse() }, async (t) => {
  const clickhouse = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  const store = clickhouse.storeUrl('upgraded')
  const start = Date.now() - 10 * 60_000
  const window = `start=${start - 60_000}&end=${start + 60_000}`
  const before = await startTestCollector({ store })
  for (let i = 0; i < 2; i++) {
    const traceId = hexId(16)
    const parent = hexId(8)
    const body = jsonTraceRequest({
      api: [{ traceId, spanId: parent, name: 'GET /', startMs: start + i, durationMs: 4 }],
      db: [{ traceId, spanId: hexId(8), parentSpanId: parent, name: 'SELECT', startMs: start + i + 1, durationMs: 1, status: i === 0 ? 2 : 0 }],
    })
    t.equal((await postJson(`${before.otlpUrl}/v1/traces`, body)).status, 200)
  }
  await before.close()
  // Back to version 1: no table of calls, and no record of version 2.
  await clickhouse.sql('DROP TABLE upgraded.dependency_calls')
  await clickhouse.sql(
    'CREATE TABLE upgraded.versions_kept ENGINE = ReplacingMergeTree ORDER BY (module, version) AS SELECT * FROM upgraded.schema_migrations WHERE version < 2',
  )
  await clickhouse.sql('DROP TABLE upgraded.schema_migrations')
  await clickhouse.sql('RENAME TABLE upgraded.versions_kept TO upgraded.schema_migrations')

  const after = await startTestCollector({ store })
  t.teardown(() => after.close())
  t.same((await getJson(`${after.apiUrl}/api/dependencies?${window}`)).body.edges, [{ parent: 'api', child: 'db', callCount: 2, errorCount: 1 }])
  t.equal((await clickhouse.sql("SELECT max(version) FROM upgraded.schema_migrations WHERE module = 'trace-store'")).trim(), '2', 'version 2 recorded')
})
