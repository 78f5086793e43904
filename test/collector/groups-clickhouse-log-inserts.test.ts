/**
 * Log batches on the ClickHouse store are grouped into inserts as span
 * batches are (src/collector/store/clickhouse/clickhouse-write-groups.ts):
 * many sidecars sending their access logs at once make a few inserts, not
 * one each (each insert is a part for ClickHouse to merge), and every
 * record is stored once and acknowledged only once its insert was. The
 * rows are TabSeparated text: a record's texts come back as sent.
 */
import t from 'tap'
import { missingClickHouse, startClickHouse } from '../helpers/clickhouse-server.js'
import { getJson, hexId, postJson, startTestCollector } from './helpers.js'

const SENDERS = 12
const RECORDS = 5

function logsRequest(service: string, timeMs: number): unknown {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeLogs: [
          {
            scope: { name: 'access-log' },
            logRecords: Array.from({ length: RECORDS }, (_, i) => ({
              timeUnixNano: String(BigInt(timeMs + i) * 1_000_000n),
              body: { stringValue: `GET /item/${i} 200` },
              traceId: hexId(16),
              severityNumber: 9,
            })),
          },
        ],
      },
    ],
  }
}

t.setTimeout(120_000)
t.test('log batches sent at once share inserts, and each record is stored once', { skip: missingClickHouse() }, async (t) => {
  const clickhouse = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  const collector = await startTestCollector({ store: clickhouse.storeUrl('grouped_logs') })
  t.teardown(() => collector.close())
  // Counted by the server: this collector is its only client.
  const inserts = async (): Promise<number> => Number(await clickhouse.sql("SELECT value FROM system.events WHERE event = 'InsertQuery'"))
  const before = await inserts()
  const now = Date.now() - 1000
  const answers = await Promise.all(Array.from({ length: SENDERS }, (_, i) => postJson(`${collector.otlpUrl}/v1/logs`, logsRequest(`sidecar-${i}`, now))))
  t.same(
    answers.map((a) => a.status),
    Array<number>(SENDERS).fill(200),
    'every batch is acknowledged',
  )
  const made = (await inserts()) - before
  t.ok(made >= 1 && made <= SENDERS / 2, `${SENDERS} batches made ${made} inserts (one each would be ${SENDERS})`)
  t.equal((await clickhouse.sql('SELECT count() FROM grouped_logs.logs')).trim(), String(SENDERS * RECORDS), 'every record stored once')
  t.equal((await clickhouse.sql('SELECT uniqExact(service) FROM grouped_logs.logs')).trim(), String(SENDERS), 'from every sender')
})

t.test('the texts of a log record come back exactly as sent', { skip: missingClickHouse() }, async (t) => {
  const clickhouse = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  const collector = await startTestCollector({ store: clickhouse.storeUrl('hostile_logs') })
  t.teardown(() => collector.close())
  const traceId = hexId(16)
  const body = `tab\there, line\nfeed, back\\slash \\n, quotes ' ", naïve 漢字 😀, nul\u0000`
  const res = await postJson(`${collector.otlpUrl}/v1/logs`, {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc\t"q"\n' } }] },
        scopeLogs: [
          {
            scope: { name: 'scope\tname', version: 'v\r\n1' },
            logRecords: [
              {
                timeUnixNano: String(BigInt(Date.now() - 1000) * 1_000_000n),
                body: { stringValue: body },
                severityText: 'WARN\t!',
                traceId,
                attributes: [{ key: 'k\t1', value: { stringValue: 'v\n\\1' } }],
              },
            ],
          },
        ],
      },
    ],
  })
  t.equal(res.status, 200)
  const logs = (await getJson(`${collector.apiUrl}/api/traces/${traceId}/logs`)).body.logs as Array<Record<string, unknown>>
  t.equal(logs.length, 1)
  t.equal(logs[0]?.body, body, 'the body')
  t.equal(logs[0]?.severityText, 'WARN\t!', 'the severity text')
  t.equal(logs[0]?.service, 'svc\t"q"\n', 'the service')
  t.same(logs[0]?.attributes, { 'k\t1': 'v\n\\1' }, 'the attributes')
})
