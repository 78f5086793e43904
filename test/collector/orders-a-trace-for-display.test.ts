/**
 * A trace's display order (the JSON trace and the trace page's compact columns share it): each
 * parent before its children, siblings and roots by start time (ties in the order given), a span
 * whose parent is missing shown as a root with a warning, spans caught in a parent cycle shown at
 * the end with a warning, a second span with an id already shown left out, and a child that
 * starts before its parent (clock skew) kept under it with a warning.
 */
import t from 'tap'
import { orderTraceForDisplay } from '../../src/collector/api/trace-order.js'

const span = (spanId: string, parentSpanId: string | null, startTimeUnixMs: number, traceState = '') => ({
  spanId,
  parentSpanId,
  service: 'svc',
  name: spanId,
  startTimeUnixMs,
  traceState,
})
const ids = (spans: { spanId: string }[]) => spans.map((s) => s.spanId)

t.test('parents before children, siblings by start, ties as given', async (t) => {
  const { spans, warnings } = orderTraceForDisplay([
    span('c2', 'root', 20),
    span('gc', 'c1', 15),
    span('c3', 'root', 20),
    span('root', null, 0),
    span('c1', 'root', 10),
  ])
  t.same(ids(spans), ['root', 'c1', 'gc', 'c2', 'c3'])
  t.same(warnings, [])
})

t.test("a missing parent makes a root, warned about; a load run's first hop is not", async (t) => {
  const plain = orderTraceForDisplay([span('a', null, 5), span('orphan', 'gone', 1)])
  t.same(ids(plain.spans), ['orphan', 'a'], 'roots by start')
  t.same(plain.warnings, ['svc: orphan has parent gone which is not in the trace'])
  const load = orderTraceForDisplay([span('hop', 'generator', 1, 'tracecar=run-0123456789ab'), span('x', 'hop', 2)])
  t.same(ids(load.spans), ['hop', 'x'])
  t.same(load.warnings, [], "the load generator's own span is never exported")
})

t.test('a span naming itself as its parent is a root, never its own skewed parent', async (t) => {
  const { spans, warnings } = orderTraceForDisplay([span('x', 'x', 5), span('x', null, 9)])
  t.same(ids(spans), ['x'])
  t.same(warnings, ['svc: x has parent x which is not in the trace'])
})

t.test('a parent cycle is shown at the end, a repeated id once, clock skew warned about', async (t) => {
  const { spans, warnings } = orderTraceForDisplay([
    span('root', null, 0),
    span('b', 'a', 30),
    span('a', 'b', 20),
    span('early', 'root', -2),
    span('root', null, 1),
  ])
  t.same(ids(spans), ['root', 'early', 'a', 'b'], 'every id once, the cycle after the tree')
  t.same(warnings, [
    'svc: a is part of a parent cycle',
    'svc: b is part of a parent cycle',
    'svc: early starts 3.000 ms before its parent svc: root (clock skew?)',
    'svc: a starts 10.000 ms before its parent svc: b (clock skew?)',
  ])
})
