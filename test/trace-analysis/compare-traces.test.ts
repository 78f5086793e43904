// Two traces of the same operation side by side: per service and operation, the span count and
// self time in each and the difference, the biggest difference first.
import t from 'tap'
import type { TimedSpan } from '../../src/trace-analysis/timed-span.js'
import { compareTraces } from '../../src/trace-analysis/compare-traces.js'

function span(spanId: string, parentSpanId: string | null, service: string, name: string, start: number, end: number): TimedSpan {
  return { spanId, parentSpanId, name, service, startTimeUnixMs: start, endTimeUnixMs: end }
}

t.test('the service that got slower comes first, with the self time it added', async (t) => {
  // A: frontend 100ms around a 60ms db read. B: the db read takes 260ms and a retry appears.
  const a = [span('a1', null, 'frontend', 'GET /order', 0, 100), span('a2', 'a1', 'db', 'SELECT', 20, 80)]
  const b = [
    span('b1', null, 'frontend', 'GET /order', 0, 330),
    span('b2', 'b1', 'db', 'SELECT', 20, 280),
    span('b3', 'b1', 'db', 'SELECT', 285, 300),
    span('b4', 'b1', 'cache', 'GET', 305, 310),
  ]
  const c = compareTraces(a, b)
  t.equal(c.durationMsA, 100)
  t.equal(c.durationMsB, 330)
  t.same(
    c.rows,
    [
      { service: 'db', operation: 'SELECT', countA: 1, countB: 2, selfMsA: 60, selfMsB: 275, selfDiffMs: 215 },
      { service: 'frontend', operation: 'GET /order', countA: 1, countB: 1, selfMsA: 40, selfMsB: 50, selfDiffMs: 10 },
      { service: 'cache', operation: 'GET', countA: 0, countB: 1, selfMsA: 0, selfMsB: 5, selfDiffMs: 5 },
    ],
    'frontend waited longer but did only 10ms more itself; a span only B has counts 0 in A',
  )
})

t.test('a difference either way counts: time saved ranks like time added', async (t) => {
  const a = [span('a1', null, 'api', 'GET', 0, 100), span('a2', 'a1', 'auth', 'check', 0, 90)]
  const b = [span('b1', null, 'api', 'GET', 0, 100), span('b2', 'b1', 'auth', 'check', 0, 10), span('b3', 'b1', 'db', 'read', 10, 30)]
  const rows = compareTraces(a, b).rows.map((r) => [r.service, r.selfDiffMs])
  t.same(
    rows,
    [
      ['auth', -80],
      ['api', 60],
      ['db', 20],
    ],
    'api did 60ms more itself; auth saved 80ms; the new db read 20ms',
  )
})

t.test('the same trace against itself differs nowhere', async (t) => {
  const a = [span('a1', null, 'api', 'GET', 0, 100), span('a2', 'a1', 'db', 'read', 10, 30)]
  t.ok(compareTraces(a, a).rows.every((r) => r.selfDiffMs === 0 && r.countA === r.countB))
  t.same(compareTraces([], []), { rows: [], durationMsA: 0, durationMsB: 0 })
})
