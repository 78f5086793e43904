/** The packed hand-over form: what a worker unpacks is the batch the main thread packed. */
import t from 'tap'
import { SpanBatchPacker, unpackSpanBatch } from '../../src/export/span-batch-pack.js'
import { everyKindOfSpan } from './every-kind-of-span.js'
import { simpleSpan } from './fixtures.js'

t.test('every field and attribute type survives packing and structured clone', async (t) => {
  const spans = everyKindOfSpan()
  const packed = new SpanBatchPacker().pack(spans)
  // What piscina does with it: a clone with the numbers' buffer transferred.
  const received = structuredClone(packed, { transfer: [packed.numbers.buffer] })
  t.equal(packed.numbers.byteLength, 0, 'the buffer was transferred, not copied')
  const unpacked = unpackSpanBatch(received)
  // Link trace state '' and absent are the same thing to OTLP; the fixture uses absent.
  t.same(unpacked, spans)
  t.equal(unpacked[0]!.attributes['big.int'], 2 ** 40 + 3)
  t.equal(typeof unpacked[0]!.attributes['bool.false'], 'boolean')
})

t.test('one packer packs batch after batch, large and small', async (t) => {
  const packer = new SpanBatchPacker()
  for (const size of [3000, 1, 0, 700]) {
    const spans = Array.from({ length: size }, (_, i) => simpleSpan(i))
    t.same(unpackSpanBatch(packer.pack(spans)), spans, `${size} spans`)
  }
})
