/**
 * The write groups' requests to ClickHouse go as plain POSTs
 * (clickhouse-ingest-http.ts), not through @clickhouse/client: rows inserted
 * are read back as sent, a long statement is parsed whole, and what
 * ClickHouse refuses comes back as an error with its own reason and code
 * (the sender then gets a 503 naming it), a server that is down as a
 * network error (read as unreachable), over a real clickhouse-server.
 */
import t from 'tap'
import { missingClickHouse, startClickHouse } from '../helpers/clickhouse-server.js'
import { ClickHouseAnswerError, ClickHouseIngestHttp } from '../../src/collector/store/clickhouse/clickhouse-ingest-http.js'
import { parseClickHouseUrl } from '../../src/collector/store/clickhouse/clickhouse-url.js'
import { StoreUnreachableError, unreachableOr } from '../../src/collector/store/store-unreachable.js'

t.test('write requests as plain POSTs', { skip: missingClickHouse() }, async (t) => {
  const clickhouse = await startClickHouse()
  t.teardown(() => clickhouse.stop())
  await clickhouse.sql('CREATE DATABASE plain')
  await clickhouse.sql('CREATE TABLE plain.rows (id UInt32, text String, tags Array(String)) ENGINE = MergeTree ORDER BY id')
  const ingest = new ClickHouseIngestHttp(parseClickHouseUrl(clickhouse.storeUrl('plain')), 10_000)
  t.teardown(() => ingest.close())

  t.test('rows inserted in pieces are stored as sent, and read back', async (t) => {
    await ingest.insert('rows', ['id', 'text', 'tags'], [Buffer.from("1\tnaïve \\t tab\t['a','b\\'c']\n"), Buffer.from('2\t\t[]\n')])
    const rows = await ingest.rows<{ id: number; text: string; tags: string[] }>('SELECT id, text, tags FROM rows ORDER BY id')
    t.strictSame(rows, [
      { id: 1, text: 'naïve \t tab', tags: ['a', "b'c"] },
      { id: 2, text: '', tags: [] },
    ])
  })

  t.test('a statement of more than 256 KiB is sent whole, with its max_query_size setting', async (t) => {
    const ids = Array.from({ length: 40_000 }, (_, i) => i).join(', ')
    const statement = `INSERT INTO rows SELECT number + 10, 'long', [] FROM system.numbers WHERE number IN (${ids}) LIMIT 3`
    t.ok(Buffer.byteLength(statement) > 256 * 1024, `${Buffer.byteLength(statement)} bytes`)
    await ingest.command(statement, { max_query_size: String(Buffer.byteLength(statement) + 1024) })
    t.strictSame(await ingest.rows("SELECT count() AS n FROM rows WHERE text = 'long'"), [{ n: '3' }])
  })

  t.test('what ClickHouse refuses comes back with its reason and code', async (t) => {
    const refused = await ingest.insert('rows', ['id', 'text', 'tags'], [Buffer.from('not a number\tx\t[]\n')]).then(
      () => undefined,
      (err: unknown) => err,
    )
    t.type(refused, ClickHouseAnswerError)
    const err = refused as ClickHouseAnswerError
    t.match(err.message, /ClickHouse answered 500: .*(parse|Cannot)/s, err.message)
    t.match(err.exceptionCode, /^\d+$/, `exception code ${err.exceptionCode}`)
    t.notOk(unreachableOr(err, 'ClickHouse') instanceof StoreUnreachableError, 'a refusal is not read as the server being down')
    const missing = await ingest.rows('SELECT * FROM no_such_table').then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    t.match(missing?.message, /no_such_table/, 'an unknown table is named')
  })

  t.test('a server that is down is a network error, read as unreachable', async (t) => {
    await clickhouse.kill()
    const down = await ingest.rows('SELECT 1').then(
      () => undefined,
      (e: unknown) => e,
    )
    t.type(unreachableOr(down, 'ClickHouse'), StoreUnreachableError, String(down))
    await clickhouse.start()
    t.strictSame(await ingest.rows('SELECT 1 AS one'), [{ one: 1 }], 'and it answers again once the server is back')
  })
})
