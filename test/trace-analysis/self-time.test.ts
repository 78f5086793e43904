// Self time (a span's duration minus the union of its children) and its sums: one
// implementation for the load report and the UI's trace statistics.
import t from 'tap'
import type { TimedSpan } from '../../src/trace-analysis/timed-span.js'
import { attributeSelfTime, spanSelfTimes, traceStatistics } from '../../src/trace-analysis/self-time.js'

function span(spanId: string, parentSpanId: string | null, service: string, start: number, end: number, name = 'GET'): TimedSpan {
  return { spanId, parentSpanId, name, service, startTimeUnixMs: start, endTimeUnixMs: end }
}

t.test('self time is the duration minus the union of the children, clipped to the span', async (t) => {
  const spans = [
    span('root', null, 'frontend', 0, 100),
    span('a', 'root', 'cart', 10, 50), // parallel with b: 10..60 covered once
    span('b', 'root', 'stock', 30, 60),
    span('c', 'root', 'audit', 90, 130), // runs past its parent: only 90..100 counts
    span('a1', 'a', 'db', 20, 45),
  ]
  const self = spanSelfTimes(spans)
  t.equal(self.get('root'), 100 - 50 - 10)
  t.equal(self.get('a'), 40 - 25)
  t.equal(self.get('b'), 30)
  t.equal(self.get('c'), 40)
  t.equal(self.get('a1'), 25)
})

t.test('summed by service and operation over several traces, biggest first, with shares', async (t) => {
  const one = [span('r1', null, 'checkout', 0, 100), span('s1', 'r1', 'inventory', 10, 90, 'GET /stock')]
  const two = [span('r2', null, 'checkout', 0, 50), span('s2', 'r2', 'inventory', 5, 45, 'GET /stock')]
  const rows = attributeSelfTime([one, two])
  t.same(rows, [
    { service: 'inventory', operation: 'GET /stock', selfMs: 120, share: 0.8 },
    { service: 'checkout', operation: 'GET', selfMs: 30, share: 0.2 },
  ])
  t.same(attributeSelfTime([]), [])
})

t.test("a trace's statistics by service and by operation: count, total, self and share of the trace", async (t) => {
  const spans = [
    span('root', null, 'frontend', 0, 200, 'GET /checkout'),
    span('c1', 'root', 'frontend', 10, 110, 'POST /cart'), // a client span: covered by its server span
    span('s1', 'c1', 'cart', 20, 100, 'POST /cart'),
    span('db1', 's1', 'db', 30, 50, 'SELECT'),
    span('db2', 's1', 'db', 60, 70, 'SELECT'),
    span('late', 'root', 'audit', 190, 240, 'write'), // ends after the root: clipped for the root's self
  ]
  const byService = new Map(traceStatistics(spans, 'service').map((r) => [r.service, r]))
  t.same(byService.get('frontend'), { service: 'frontend', operation: null, count: 2, totalMs: 300, selfMs: 100 - 10 + 20, shareOfTrace: 110 / 240 })
  t.same(byService.get('cart'), { service: 'cart', operation: null, count: 1, totalMs: 80, selfMs: 50, shareOfTrace: 50 / 240 })
  t.same(byService.get('db'), { service: 'db', operation: null, count: 2, totalMs: 30, selfMs: 30, shareOfTrace: 30 / 240 })
  t.equal(byService.get('audit')!.selfMs, 50)

  const byOp = traceStatistics(spans, 'operation')
  t.equal(byOp.length, 5, 'frontend GET /checkout, frontend POST /cart, cart POST /cart, db SELECT, audit write')
  const cart = byOp.filter((r) => r.operation === 'POST /cart').map((r) => [r.service, r.count, r.selfMs])
  t.same(
    cart.sort(),
    [
      ['cart', 1, 50],
      ['frontend', 1, 20],
    ],
    'the same operation name in two services stays two rows',
  )
  t.same(traceStatistics([], 'service'), [])
})
