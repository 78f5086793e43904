import protobuf from 'protobufjs'
import SnappyJS from 'snappyjs'
import t from 'tap'
import { decodeLokiPushJson } from '../../../src/collector/logs-ingest/loki-push-json.js'
import { decodeLokiPushProto } from '../../../src/collector/logs-ingest/loki-push-proto.js'
import { parseLokiLabels } from '../../../src/collector/logs-ingest/loki-labels.js'

t.test('JSON push: values with and without structured metadata, and the old entries form', async (t) => {
  const entries = decodeLokiPushJson({
    streams: [
      {
        stream: { app: 'cart', level: 'info' },
        values: [
          ['1700000000123456789', 'line one'],
          ['1700000000200000000', 'line two', { trace_id: 'abc' }],
        ],
      },
      { labels: '{job="legacy", path="/var/log/a\\"b.log"}', entries: [{ ts: '2024-01-02T03:04:05.123456789Z', line: 'old form' }] },
    ],
  })
  t.equal(entries.length, 3)
  t.same(entries[0], { labels: { app: 'cart', level: 'info' }, timeUnixNano: 1700000000123456789n, line: 'line one', metadata: {} })
  t.same(entries[1]!.metadata, { trace_id: 'abc' })
  t.same(entries[2]!.labels, { job: 'legacy', path: '/var/log/a"b.log' })
  t.equal(entries[2]!.timeUnixNano, BigInt(Date.parse('2024-01-02T03:04:05.123Z')) * 1_000_000n + 456789n)
})

t.test('JSON push: bad bodies say what is wrong', async (t) => {
  t.throws(() => decodeLokiPushJson({ stream: [] }), /must be \{"streams": \[\.\.\.\]\}/)
  t.throws(
    () => decodeLokiPushJson({ streams: [{ stream: {}, values: [['soon', 'x']] }] }),
    /streams\[0\]\.values\[0\] timestamp "soon" must be Unix epoch nanoseconds/,
  )
  t.throws(() => decodeLokiPushJson({ streams: [{ stream: {}, values: [[1]] }] }), /streams\[0\]\.values\[0\] must be/)
  t.throws(() => decodeLokiPushJson({ streams: [{ labels: 'app=x', entries: [] }] }), /streams\[0\]\.labels/)
})

t.test('stream selectors', async (t) => {
  t.same(parseLokiLabels('{}'), {})
  t.same(parseLokiLabels('{a="1",b="two words", c="x\\ny"}'), { a: '1', b: 'two words', c: 'x\ny' })
  t.throws(() => parseLokiLabels('{a=1}'), /expected name="value"/)
  t.throws(() => parseLokiLabels('{a="1}'), /unterminated value of 'a'/)
})

// Hand-written wire bytes (field numbers from logproto's push.proto), independent of the decoder's schema.
function encodePush(labels: string, entries: { seconds: number; nanos: number; line: string; meta?: [string, string][] }[]): Uint8Array {
  const w = protobuf.Writer.create()
  const stream = protobuf.Writer.create()
  stream.uint32((1 << 3) | 2).string(labels)
  for (const e of entries) {
    const entry = protobuf.Writer.create()
    const ts = protobuf.Writer.create()
      .uint32((1 << 3) | 0)
      .int64(e.seconds)
      .uint32((2 << 3) | 0)
      .int32(e.nanos)
      .finish()
    entry.uint32((1 << 3) | 2).bytes(ts)
    entry.uint32((2 << 3) | 2).string(e.line)
    for (const [name, value] of e.meta ?? []) {
      const pair = protobuf.Writer.create()
        .uint32((1 << 3) | 2)
        .string(name)
        .uint32((2 << 3) | 2)
        .string(value)
        .finish()
      entry.uint32((3 << 3) | 2).bytes(pair)
    }
    stream.uint32((2 << 3) | 2).bytes(entry.finish())
  }
  stream.uint32((3 << 3) | 0).uint64(12345)
  w.uint32((1 << 3) | 2).bytes(stream.finish())
  return w.finish()
}

t.test('protobuf + snappy push as Promtail sends it', async (t) => {
  const raw = encodePush('{service_name="legacy", level="warn"}', [
    { seconds: 1700000000, nanos: 5, line: 'first' },
    { seconds: 1700000001, nanos: 999999999, line: 'second', meta: [['trace_id', 'deadbeef']] },
  ])
  const entries = decodeLokiPushProto(SnappyJS.compress(raw))
  t.same(entries, [
    { labels: { service_name: 'legacy', level: 'warn' }, timeUnixNano: 1700000000000000005n, line: 'first', metadata: {} },
    { labels: { service_name: 'legacy', level: 'warn' }, timeUnixNano: 1700000001999999999n, line: 'second', metadata: { trace_id: 'deadbeef' } },
  ])
  t.throws(() => decodeLokiPushProto(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), /not snappy block-compressed|not a logproto.PushRequest/)
})
