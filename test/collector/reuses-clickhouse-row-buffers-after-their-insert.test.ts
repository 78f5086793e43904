/**
 * The ClickHouse store writes each batch's rows into a buffer it reuses for
 * a later batch (body-buffers.ts): a fresh buffer's pages cost the kernel a
 * fault and a zeroing each. A buffer may go to another batch only once the
 * insert that carries its rows has settled, acknowledged or failed: until
 * then ClickHouse may still be sent those bytes, and a retry sends them again.
 */
import t from 'tap'
import { SpanRows, SpanRowsBatch } from '../../src/collector/store/clickhouse/clickhouse-span-rows.js'
import type { PreparedSpans } from '../../src/collector/store/clickhouse/clickhouse-span-rows.js'
import type { WriteResult } from '../../src/collector/store/store-roles.js'
import { ExportTraceServiceRequest } from '../../src/collector/otlp/otlp-proto-root.js'

/** A request of `count` plain spans named after `label`, so each batch's rows differ. */
function request(label: string, count: number): Buffer {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: Buffer.alloc(16, i + 1),
    spanId: Buffer.alloc(8, i + 1),
    name: `${label} ${i}`,
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000123000000',
    attributes: [{ key: 'batch', value: { stringValue: label.repeat(20) } }],
  }))
  const object = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ spans }] }] }
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(object)).finish())
}

interface Submitted {
  prepared: PreparedSpans
  settle: (ok: boolean) => void
  done: Promise<WriteResult>
}

/** Writes `body` as one batch of `rows` whose insert stays pending until `settle` is called. */
function submit(rows: SpanRows, body: Buffer): Submitted {
  let prepared: PreparedSpans | undefined
  let settle: (ok: boolean) => void = () => {}
  const batch = new SpanRowsBatch(rows, body.length * 4, (p) => {
    prepared = p
    return new Promise<WriteResult>((resolve, reject) => {
      settle = (ok) => (ok ? resolve({ stored: p.ends.length }) : reject(new Error('ClickHouse refused the insert')))
    })
  })
  batch.takeProtobuf(body, undefined)
  const done = batch.finish()
  return { prepared: prepared!, settle, done }
}

t.test('rows waiting for their insert keep their bytes while later batches are written', async (t) => {
  const rows = new SpanRows()
  const waiting = submit(rows, request('a', 50))
  const sent = Buffer.from(waiting.prepared.lines)
  // Later batches come and go (each insert acknowledged at once), reusing each other's buffers.
  for (let i = 0; i < 40; i++) {
    // Labels of one letter, as the waiting batch's: the same size, so its buffer would fit them.
    const later = submit(rows, request('bcdefghijk'[i % 10]!, 50))
    later.settle(true)
    await later.done
  }
  t.ok(waiting.prepared.lines.equals(sent), 'the waiting batch still holds the rows it was given')
  t.ok(waiting.prepared.lines.toString().includes('a 49'), 'and they are its own rows')
  waiting.settle(true)
  t.same(await waiting.done, { stored: 50 })
})

t.test('a buffer goes to another batch once its insert settled, acknowledged or failed', async (t) => {
  const rows = new SpanRows()
  const first = submit(rows, request('a', 50))
  const firstBuffer = first.prepared.lines.buffer
  const meanwhile = submit(rows, request('b', 50))
  t.not(meanwhile.prepared.lines.buffer, firstBuffer, 'not while its insert is pending')
  first.settle(true)
  await first.done
  const next = submit(rows, request('c', 50))
  t.equal(next.prepared.lines.buffer, firstBuffer, 'the next batch after the acknowledgement writes into it')
  t.ok(next.prepared.lines.toString().includes('c 49'), 'its own rows')
  meanwhile.settle(false)
  await t.rejects(meanwhile.done, /refused/, 'a failed insert fails its batch as before')
  const afterFailure = submit(rows, request('d', 50))
  t.equal(afterFailure.prepared.lines.buffer, meanwhile.prepared.lines.buffer, 'and its buffer is reused too')
  next.settle(true)
  afterFailure.settle(true)
  await Promise.all([next.done, afterFailure.done])
})
