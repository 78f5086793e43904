import t from 'tap'
import type { ApiSpan } from '../../src/load/collector-query.js'
import { attributeSelfTime, spanSelfTimes } from '../../src/load/self-time.js'

function span(spanId: string, parentSpanId: string | null, service: string, start: number, end: number, name = 'GET'): ApiSpan {
  return { traceId: 't', spanId, parentSpanId, name, kind: 'SERVER', service, startTimeUnixMs: start, endTimeUnixMs: end, durationMs: end - start }
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
