/**
 * Several collectors on one ClickHouse (`--store clickhouse://…`): they start
 * together on an empty database, each ingests half of a trace and each
 * answers the whole; a retried batch is stored once; while ClickHouse is down
 * senders get 503 with Retry-After, the collectors stay up, and they store
 * again once it is back.
 */
import t from 'tap'
import { missingClickHouse, startClickHouse } from '../helpers/clickhouse-server.js'
import type { ClickHouseServer } from '../helpers/clickhouse-server.js'
import { CLICKHOUSE_MIGRATIONS } from '../../src/collector/store/clickhouse/clickhouse-schema.js'
import { getJson, hexId, jsonTraceRequest, postJson, startTestCollector } from './helpers.js'
import type { TestCollector } from './helpers.js'

function logsRequest(service: string, traceId: string, bodies: string[], timeMs: number): unknown {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          {
            scope: { name: 'test' },
            logRecords: bodies.map((body, i) => ({
              timeUnixNano: String(BigInt(timeMs + i) * 1_000_000n),
              body: { stringValue: body },
              traceId,
              severityNumber: 9,
            })),
          },
        ],
      },
    ],
  }
}

t.setTimeout(240_000)
t.test('collectors sharing one ClickHouse', { skip: missingClickHouse() }, async (t) => {
  const clickhouse: ClickHouseServer = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  const store = clickhouse.storeUrl('shared')
  // Three at once on an empty database: the schema is created once, and none fails.
  const collectors: TestCollector[] = await Promise.all([0, 1, 2].map(() => startTestCollector({ store })))
  t.teardown(() => Promise.all(collectors.map((c) => c.close())))
  const [a, b, c] = collectors as [TestCollector, TestCollector, TestCollector]
  const latest = Math.max(...CLICKHOUSE_MIGRATIONS.map((m) => m.version))
  t.equal(
    (await clickhouse.sql("SELECT max(version) FROM shared.schema_migrations WHERE module = 'trace-store'")).trim(),
    String(latest),
    `schema version ${latest} recorded`,
  )

  const traceId = hexId(16)
  const root = hexId(8)
  const now = Date.now()
  const front = jsonTraceRequest({
    front: [{ traceId, spanId: root, name: 'GET /cart', startMs: now - 200, durationMs: 120, attributes: { 'http.response.status_code': 200 } }],
  })
  const backSpans = [0, 1, 2].map((i) => ({
    traceId,
    spanId: hexId(8),
    parentSpanId: root,
    name: 'SELECT cart',
    startMs: now - 190 + i * 10,
    durationMs: 5,
    status: i === 2 ? 2 : 0,
  }))
  const back = jsonTraceRequest({ db: backSpans })

  t.test('each ingests half of a trace and each answers the whole', async (t) => {
    t.equal((await postJson(`${a.otlpUrl}/v1/traces`, front)).status, 200, 'A stores the root span')
    t.equal((await postJson(`${b.otlpUrl}/v1/traces`, back)).status, 200, 'B stores the children')
    for (const [name, collector] of [
      ['A', a],
      ['B', b],
      ['C', c],
    ] as const) {
      const trace = await getJson(`${collector.apiUrl}/api/traces/${traceId}`)
      t.equal(trace.status, 200, `${name} finds the trace`)
      t.same(trace.body.spans.map((s: { service: string }) => s.service).sort(), ['db', 'db', 'db', 'front'], `${name} answers all four spans`)
      const search = await getJson(`${collector.apiUrl}/api/traces?service=db&error=true`)
      t.same(
        search.body.traces.map((s: { traceId: string; spanCount: number; rootService: string }) => [s.traceId, s.spanCount, s.rootService]),
        [[traceId, 4, 'front']],
        `${name} searches the whole trace`,
      )
      const deps = await getJson(`${collector.apiUrl}/api/dependencies?start=${now - 60_000}&end=${now}`)
      t.same(deps.body.edges, [{ parent: 'front', child: 'db', callCount: 3, errorCount: 1 }], `${name} sees the call across collectors`)
      t.same((await getJson(`${collector.apiUrl}/api/services`)).body.services, ['db', 'front'], `${name} lists both services`)
    }
  })

  t.test('the two sides of calls sent at the same moment to two collectors count each call once', async (t) => {
    const at = Date.now() - 5 * 60_000
    const rounds = 8
    for (let i = 0; i < rounds; i++) {
      const id = hexId(16)
      const parent = hexId(8)
      const sides = [
        jsonTraceRequest({ edge: [{ traceId: id, spanId: parent, name: 'GET /', startMs: at + i, durationMs: 3 }] }),
        jsonTraceRequest({ store: [{ traceId: id, spanId: hexId(8), parentSpanId: parent, name: 'GET /item', startMs: at + i + 0.5, durationMs: 1 }] }),
      ]
      const answers = await Promise.all([postJson(`${a.otlpUrl}/v1/traces`, sides[0]), postJson(`${b.otlpUrl}/v1/traces`, sides[1])])
      t.same(
        answers.map((r) => r.status),
        [200, 200],
      )
    }
    const deps = await getJson(`${c.apiUrl}/api/dependencies?start=${at - 1000}&end=${at + 1000}`)
    t.same(deps.body.edges, [{ parent: 'edge', child: 'store', callCount: rounds, errorCount: 0 }], `${rounds} calls, each counted once`)
  })

  t.test('a retried batch is stored once, whichever collector gets the retry', async (t) => {
    const res = await postJson(`${a.otlpUrl}/v1/traces`, back)
    t.equal(res.status, 200, 'the retry is acknowledged')
    t.equal((await postJson(`${c.otlpUrl}/v1/traces`, back)).status, 200)
    const trace = await getJson(`${b.apiUrl}/api/traces/${traceId}`)
    t.equal(trace.body.spans.length, 4, 'still four spans')
    const deps = await getJson(`${b.apiUrl}/api/dependencies?start=${now - 60_000}&end=${now}`)
    t.equal(deps.body.edges[0].callCount, 3, 'and three calls')
    const logs = logsRequest('db', traceId, ['query took 5ms', 'query took 5ms', 'deadlock'], now - 150)
    t.equal((await postJson(`${a.otlpUrl}/v1/logs`, logs)).status, 200)
    t.equal((await postJson(`${b.otlpUrl}/v1/logs`, logs)).status, 200, 'a retried log batch is acknowledged')
    const stored = await getJson(`${c.apiUrl}/api/traces/${traceId}/logs`)
    t.same(
      stored.body.logs.map((l: { body: string }) => l.body),
      ['query took 5ms', 'query took 5ms', 'deadlock'],
      'each log record of the batch once, in order',
    )
  })

  t.test('batches stored at the same moment are all counted in what the collector says it stored', async (t) => {
    const before = c.collector.pipeline.spansStored
    const start = Date.now() - 100
    const requests = Array.from({ length: 8 }, (_, i) =>
      jsonTraceRequest({
        burst: Array.from({ length: 5 }, (_, j) => ({ traceId: hexId(16), spanId: hexId(8), name: `GET /burst/${i}/${j}`, startMs: start, durationMs: 10 })),
      }),
    )
    const answers = await Promise.all(requests.map((request) => postJson(`${c.otlpUrl}/v1/traces`, request)))
    t.same(
      answers.map((answer) => answer.status),
      Array<number>(8).fill(200),
      'eight batches sent at once are all stored',
    )
    t.equal(c.collector.pipeline.spansStored - before, 40, 'all 40 spans are counted (the count printed at shutdown)')
  })

  t.test('a batch sent again while the first try is still being stored is stored and counted once', async (t) => {
    const before = c.collector.pipeline.spansStored
    const retriedTrace = hexId(16)
    const start = Date.now() - 100
    const request = jsonTraceRequest({
      cart: Array.from({ length: 6 }, (_, i) => ({ traceId: retriedTrace, spanId: hexId(8), name: `GET /cart/${i}`, startMs: start, durationMs: 5 })),
    })
    const answers = await Promise.all([0, 1, 2].map(() => postJson(`${c.otlpUrl}/v1/traces`, request)))
    t.same(
      answers.map((answer) => answer.status),
      [200, 200, 200],
      'every try is acknowledged',
    )
    t.equal(c.collector.pipeline.spansStored - before, 6, 'six spans counted, not eighteen')
    const rows = await clickhouse.sql(`SELECT count() FROM shared.spans WHERE trace_id = '${retriedTrace}'`)
    t.equal(rows.trim(), '6', 'one row per span in ClickHouse, before any merge')
  })

  t.test('a span sent twice in one request is stored once, as last sent', async (t) => {
    const before = c.collector.pipeline.spansStored
    const traceId = hexId(16)
    const twice = hexId(8)
    const start = Date.now() - 100
    const request = jsonTraceRequest({
      cart: [
        { traceId, spanId: twice, name: 'GET /cart first try', startMs: start, durationMs: 5 },
        { traceId, spanId: hexId(8), name: 'GET /cart/items', startMs: start, durationMs: 2 },
        { traceId, spanId: twice, name: 'GET /cart', startMs: start, durationMs: 5 },
      ],
    })
    t.equal((await postJson(`${c.otlpUrl}/v1/traces`, request)).status, 200)
    t.equal(c.collector.pipeline.spansStored - before, 2, 'two spans counted, not three')
    const rows = await clickhouse.sql(`SELECT name FROM shared.spans WHERE trace_id = '${traceId}' ORDER BY name FORMAT TabSeparated`)
    t.same(rows.trim().split('\n'), ['GET /cart', 'GET /cart/items'], 'one row per span before any merge, the repeated one as last sent')
  })

  t.test('ClickHouse down: 503 with Retry-After, the collector stays up and stores again once it is back', async (t) => {
    await clickhouse.kill()
    const lateTrace = hexId(16)
    const late = jsonTraceRequest({ front: [{ traceId: lateTrace, spanId: hexId(8), name: 'GET /late', startMs: Date.now(), durationMs: 3 }] })
    const refused = await postJson(`${a.otlpUrl}/v1/traces`, late)
    t.equal(refused.status, 503, 'not acknowledged')
    t.ok(Number(refused.headers.get('retry-after')) > 0, `Retry-After ${refused.headers.get('retry-after')}`)
    const read = await fetch(`${a.apiUrl}/api/services`)
    t.equal(read.status, 503, 'a read is answered 503 instead of hanging or failing as a bug')
    t.equal(read.headers.get('retry-after'), '1')
    t.notOk(
      a.logs.some((line) => line.includes('/api/services failed')),
      'and it does not log a stack trace per request',
    )
    await clickhouse.start()
    // The pipeline answers 503 without trying for a second after a failure; an exporter retries.
    let status = 0
    for (let i = 0; i < 40 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250))
      status = (await postJson(`${a.otlpUrl}/v1/traces`, late)).status
    }
    t.equal(status, 200, 'acknowledged once ClickHouse is back')
    const trace = await getJson(`${b.apiUrl}/api/traces/${lateTrace}`)
    t.equal(trace.body.spans?.length, 1, 'and readable from another collector')
  })
})
