/**
 * --retention on a ClickHouse without table TTL (Debian's 18.16): a
 * retention pass has ClickHouse delete the spans and logs older than the
 * cutoff from every table (trace by id, search, logs by trace), and keeps the
 * rest. A server with TTL gets it set on the tables instead (not installed here).
 */
import t from 'tap'
import { missingClickHouse, startClickHouse } from '../helpers/clickhouse-server.js'
import { eventually } from './observability-process.js'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'

function logsRequest(service: string, traceId: string, body: string, timeMs: number): unknown {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          {
            scope: { name: 'test' },
            logRecords: [{ timeUnixNano: String(BigInt(timeMs) * 1_000_000n), body: { stringValue: body }, traceId, severityNumber: 9 }],
          },
        ],
      },
    ],
  }
}

t.setTimeout(180_000)
t.test('a retention pass deletes what is older than --retention and keeps the rest', { skip: missingClickHouse() }, async (t) => {
  const clickhouse = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  const version = (await clickhouse.sql('SELECT version()')).trim()
  const collector = await startTestCollector({ store: clickhouse.storeUrl(), retention: { maxAgeMs: 3_600_000, intervalMs: 3_600_000 } })
  t.teardown(() => collector.close())
  const hasTtl = Number(version.split('.')[0]) > 19 || (Number(version.split('.')[0]) === 19 && Number(version.split('.')[1]) >= 6)
  if (hasTtl) {
    t.match(collector.collector.store.description, /retention by table TTL/, `ClickHouse ${version} expires data itself`)
    t.equal(collector.collector.store.retention, undefined, 'and no worker deletes')
    return
  }
  t.match(collector.collector.store.description, /retention by deletes/, `ClickHouse ${version} has no TTL: the worker deletes`)
  const now = Date.now()
  const oldTrace = hexId(16)
  const newTrace = hexId(16)
  for (const [traceId, at] of [
    [oldTrace, now - 2 * 3_600_000],
    [newTrace, now - 60_000],
  ] as const) {
    t.equal(
      (await postJson(`${collector.otlpUrl}/v1/traces`, jsonTraceRequest({ shop: [{ traceId, spanId: hexId(8), name: 'GET /', startMs: at, durationMs: 5 }] })))
        .status,
      200,
    )
    t.equal((await postJson(`${collector.otlpUrl}/v1/logs`, logsRequest('shop', traceId, `line of ${traceId}`, at))).status, 200)
  }
  const deleted = await collector.collector.retention.runOnce()
  t.equal(deleted, 2, 'the old span and the old log record are counted')
  await eventually(
    'the old trace to be gone',
    async () => ((await getJson(`${collector.apiUrl}/api/traces/${oldTrace}`)).status === 404 ? true : undefined),
    60_000,
    250,
  )
  await eventually(
    'the old trace to leave search and its logs',
    async () => {
      const search = await getJson(`${collector.apiUrl}/api/traces?service=shop`)
      const logs = await getJson(`${collector.apiUrl}/api/traces/${oldTrace}/logs`)
      const serviceLogs = await getJson(`${collector.apiUrl}/api/logs?service=shop`)
      return search.body.traces.length === 1 && logs.body.logs.length === 0 && serviceLogs.body.logs.length === 1 ? true : undefined
    },
    60_000,
    250,
  )
  t.equal((await getJson(`${collector.apiUrl}/api/traces/${newTrace}`)).status, 200, 'the recent trace stays')
  t.same(
    (await getJson(`${collector.apiUrl}/api/traces/${newTrace}/logs`)).body.logs.map((l: { body: string }) => l.body),
    [`line of ${newTrace}`],
    'with its log',
  )
  t.equal(await collector.collector.retention.runOnce(), 0, 'a second pass finds nothing older')
})
