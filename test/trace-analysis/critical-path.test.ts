// The critical path as segments, Jaeger's way: walking back from the root's end, the
// last-finishing child before the current point holds up its parent, and the parent's own time
// between children is its segment. Hand-built traces, times in ms.
import t from 'tap'
import { criticalPath, longestRoot } from '../../src/trace-analysis/critical-path.js'
import type { TimedSpan } from '../../src/trace-analysis/timed-span.js'

function span(spanId: string, parentSpanId: string | null, start: number, end: number): TimedSpan {
  return { spanId, parentSpanId, service: 'svc', name: spanId, startTimeUnixMs: start, endTimeUnixMs: end }
}
const path = (spans: TimedSpan[]) => criticalPath(spans).map((s) => `${s.spanId} ${s.startMs}-${s.endMs}`)

t.test('sequential children: each child, and the parent only between and around them', async (t) => {
  const spans = [span('root', null, 0, 100), span('a', 'root', 10, 40), span('b', 'root', 40, 70), span('c', 'root', 75, 90)]
  t.same(path(spans), ['root 0-10', 'a 10-40', 'b 40-70', 'root 70-75', 'c 75-90', 'root 90-100'])
})

t.test('overlapping children: the last to finish holds the parent up; one still running when it started does not', async (t) => {
  // b ends last; a was still running when b started (ends at 60 > 50), so from 50 back the
  // parent itself is critical, as in Jaeger: a's overlap with b was not what the root waited for.
  const spans = [span('root', null, 0, 100), span('a', 'root', 5, 60), span('b', 'root', 50, 95), span('side', 'root', 10, 20)]
  t.same(path(spans), ['root 0-10', 'side 10-20', 'root 20-50', 'b 50-95', 'root 95-100'])
})

t.test('a child ending after its parent counts only up to the parent end; one entirely after it not at all', async (t) => {
  const spans = [span('root', null, 0, 100), span('a', 'root', 10, 50), span('late', 'root', 80, 150), span('after', 'root', 120, 130)]
  t.same(path(spans), ['root 0-10', 'a 10-50', 'root 50-80', 'late 80-100'])
})

t.test('in a simple chain every span is on the path, but only where it worked itself', async (t) => {
  const spans = [span('root', null, 0, 100), span('mid', 'root', 10, 90), span('leaf', 'mid', 20, 80)]
  t.same(path(spans), ['root 0-10', 'mid 10-20', 'leaf 20-80', 'mid 80-90', 'root 90-100'])
  const total = criticalPath(spans).reduce((sum, s) => sum + s.endMs - s.startMs, 0)
  t.equal(total, 100, 'the segments cover the root exactly once')
})

t.test('nested: the walk goes down into the child that held the parent up, and back out at its start', async (t) => {
  const spans = [
    span('root', null, 0, 100),
    span('c1', 'root', 5, 60),
    span('side', 'root', 10, 20),
    span('c2', 'root', 60, 95),
    span('c2a', 'c2', 61, 70),
    span('c2b', 'c2', 70, 94),
    span('c1a', 'c1', 6, 30),
    span('c1b', 'c1', 8, 12),
  ]
  t.same(path(spans), ['root 0-5', 'c1 5-6', 'c1a 6-30', 'c1 30-60', 'c2 60-61', 'c2a 61-70', 'c2b 70-94', 'c2 94-95', 'root 95-100'])
})

t.test('odd traces end: zero-length children, a missing parent, no spans, a 10,000-deep chain', async (t) => {
  t.same(path([span('root', null, 0, 10), span('z', 'root', 10, 10), span('z2', 'root', 10, 10)]), ['root 0-10'])
  t.same(path([span('orphan', 'gone', 0, 50), span('short', null, 0, 5)]), ['orphan 0-50'], 'the longest root is used')
  t.same(criticalPath([]), [])
  t.equal(longestRoot([]), undefined)
  const chain = [span('s0', null, 0, 20_000)]
  for (let i = 1; i < 10_000; i++) chain.push(span(`s${i}`, `s${i - 1}`, i, 20_000 - i))
  const segments = criticalPath(chain)
  t.equal(segments.length, 2 * 10_000 - 1, 'each span before and after its child, the deepest once')
  t.equal(
    segments.reduce((sum, s) => sum + s.endMs - s.startMs, 0),
    20_000,
  )
})
