/**
 * The SQLite store commits the batches that arrive together in one
 * transaction. Each sender must still see its own batch stored whole or not
 * at all, and acknowledged only once it is on disk: a batch the database
 * refuses fails alone, and what was acknowledged is there for a new
 * connection to the file.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { SqliteTraceStore } from '../../src/collector/store/sqlite/sqlite-trace-store.js'
import { decodeTraceRequest } from '../../src/collector/otlp/decode-traces.js'
import type { IngestSpan } from '../../src/collector/otlp/decode-traces.js'
import { hexId, jsonTraceRequest, tempDataDir } from './helpers.js'

function batch(service: string, spans: number): { traceId: string; items: IngestSpan[] } {
  const traceId = hexId(16)
  const start = Date.now() - 1000
  const request = jsonTraceRequest({
    [service]: Array.from({ length: spans }, (_, i) => ({ traceId, spanId: hexId(8), name: `op-${i}`, startMs: start + i, durationMs: 5 })),
  })
  return { traceId, items: decodeTraceRequest(request).items }
}

t.test('batches written in one turn: each stored whole, a refused one alone', async (t) => {
  const dataDir = tempDataDir()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const path = join(dataDir, 'tracecar.db')
  const store = new SqliteTraceStore({ path })

  const first = batch('checkout', 40)
  const refused = batch('payments', 40)
  const last = batch('inventory', 40)
  // A time SQLite cannot hold as a 64-bit integer, past the decoder: the database refuses the binding
  // in the middle of this batch, after 20 of its spans were written inside the shared transaction.
  refused.items[20]!.startNs = 2n ** 70n

  const results = await Promise.allSettled([store.writeSpans(first.items), store.writeSpans(refused.items), store.writeSpans(last.items)])
  t.same(results[0], { status: 'fulfilled', value: { stored: 40 } }, 'the first batch is acknowledged')
  t.equal(results[1]!.status, 'rejected', 'the refused batch fails')
  t.same(results[2], { status: 'fulfilled', value: { stored: 40 } }, 'the batch after it is acknowledged')
  t.equal((await store.getTrace(refused.traceId)).length, 0, 'nothing of the refused batch is stored, not even the spans before the bad one')

  // Another connection to the file sees exactly what was acknowledged.
  const reader = new SqliteTraceStore({ path })
  t.equal((await reader.getTrace(first.traceId)).length, 40)
  t.equal((await reader.getTrace(last.traceId)).length, 40)
  t.equal((await reader.getTrace(refused.traceId)).length, 0)
  reader.close()

  // A batch written after the refusal goes through as usual.
  const later = batch('shipping', 3)
  t.same(await store.writeSpans(later.items), { stored: 3 })
  store.close()
})

t.test('closing the store commits what is queued', async (t) => {
  const dataDir = tempDataDir()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const path = join(dataDir, 'tracecar.db')
  const store = new SqliteTraceStore({ path })
  const queued = batch('checkout', 10)
  const written = store.writeSpans(queued.items)
  store.close()
  t.same(await written, { stored: 10 }, 'acknowledged')
  const reader = new SqliteTraceStore({ path })
  t.equal((await reader.getTrace(queued.traceId)).length, 10, 'and on disk')
  reader.close()
})
