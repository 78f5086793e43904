// The waterfall's model: nesting, order, critical path, collapse, and traces that are not trees
// (missing parents, cycles, 10,000-deep chains) still show every span.
import t from 'tap'
import type { Span } from '../../src/query-api/query-api-types.ts'
import { buildTraceModel, markCriticalPath, visibleRows } from '../../src/ui/trace/trace-model.ts'

function span(spanId: string, parentSpanId: string | null, start: number, end: number, extra: Partial<Span> = {}): Span {
  return {
    traceId: 't',
    spanId,
    parentSpanId,
    name: spanId,
    kind: 'INTERNAL',
    service: 'svc',
    startTimeUnixMs: start,
    endTimeUnixMs: end,
    durationMs: end - start,
    status: { code: 'UNSET' },
    attributes: {},
    resource: {},
    events: [],
    links: [],
    ...extra,
  }
}

const ids = (nodes: { span: Span }[]) => nodes.map((n) => n.span.spanId)

t.test('children nest under parents, siblings by start time, whatever the input order', async (t) => {
  const m = buildTraceModel([span('c2', 'root', 50, 90), span('gc', 'c1', 15, 20), span('root', null, 0, 100), span('c1', 'root', 10, 40)])
  t.same(ids(m.nodes), ['root', 'c1', 'gc', 'c2'])
  t.same(
    m.nodes.map((n) => n.depth),
    [0, 1, 2, 1],
  )
  t.equal(m.byId.get('root')!.descendantCount, 3)
  t.equal(m.durationMs, 100)
})

t.test('the critical path follows what the parent waited for last', async (t) => {
  // root waits for c2 (last to finish), before it for c1; c1-side runs beside c1 and ends early.
  const m = buildTraceModel([
    span('root', null, 0, 100),
    span('c1', 'root', 5, 60),
    span('side', 'root', 10, 20),
    span('c2', 'root', 60, 95),
    span('c2a', 'c2', 61, 70),
    span('c2b', 'c2', 70, 94),
  ])
  const critical = m.nodes
    .filter((n) => n.critical)
    .map((n) => n.span.spanId)
    .sort()
  t.same(critical, ['c1', 'c2', 'c2a', 'c2b', 'root'])
  const segments = (id: string) => m.byId.get(id)!.criticalSegments.map((s) => [s.startMs, s.endMs])
  t.same(
    segments('root'),
    [
      [0, 5],
      [95, 100],
    ],
    'the root holds up the end only before c1 and after c2',
  )
  t.same(
    segments('c2'),
    [
      [60, 61],
      [94, 95],
    ],
    'c2 only around its children',
  )
  t.same(segments('side'), [], 'side ran beside c1 and held nothing up')
})

t.test("each span's self time is its duration minus what its children cover", async (t) => {
  const m = buildTraceModel([span('root', null, 0, 100), span('a', 'root', 10, 50), span('b', 'root', 30, 60), span('late', 'root', 90, 130)])
  t.same(
    m.nodes.map((n) => [n.span.spanId, n.selfMs]),
    [
      ['root', 40],
      ['a', 40],
      ['b', 30],
      ['late', 40],
    ],
    'parallel children are subtracted once, a child running past the end only up to it',
  )
})

t.test('errors below a span are flagged on its ancestors', async (t) => {
  const m = buildTraceModel([span('root', null, 0, 10), span('a', 'root', 1, 5), span('b', 'a', 2, 3, { status: { code: 'ERROR', message: 'x' } })])
  t.equal(m.errorCount, 1)
  t.ok(m.byId.get('root')!.childError)
  t.ok(m.byId.get('a')!.childError)
  t.notOk(m.byId.get('b')!.childError)
  t.same(
    m.errorOrigins.map((n) => n.span.spanId),
    ['b'],
    'the deepest failing span is where the error starts',
  )
})

t.test('collapsing hides exactly the subtree', async (t) => {
  const m = buildTraceModel([span('root', null, 0, 100), span('a', 'root', 1, 50), span('a1', 'a', 2, 3), span('a2', 'a', 4, 5), span('b', 'root', 60, 70)])
  t.same(ids(visibleRows(m, new Set(['a']))), ['root', 'a', 'b'])
  t.same(ids(visibleRows(m, new Set(['root']))), ['root'])
  t.same(ids(visibleRows(m, new Set())), ['root', 'a', 'a1', 'a2', 'b'])
})

t.test('spans whose parent is missing, or that form a cycle, are shown as roots', async (t) => {
  const m = buildTraceModel([span('orphan', 'gone', 5, 6), span('root', null, 0, 10), span('x', 'y', 1, 2), span('y', 'x', 1, 3), span('self', 'self', 3, 4)])
  t.equal(m.nodes.length, 5, 'every span appears once')
  t.same(new Set(ids(m.nodes)), new Set(['orphan', 'root', 'x', 'y', 'self']))
  t.ok(m.roots.length >= 3)
})

t.test('a 10,000-deep chain builds without overflowing the stack', async (t) => {
  const spans = [span('s0', null, 0, 20_000)]
  for (let i = 1; i < 10_000; i++) spans.push(span(`s${i}`, `s${i - 1}`, i, 20_000 - i))
  const m = buildTraceModel(spans)
  t.equal(m.maxDepth, 9_999)
  t.ok(m.criticalPathPending, 'a trace this big has its critical path marked after its first rows')
  markCriticalPath(m)
  t.equal(m.nodes.filter((n) => n.critical).length, 10_000)
  t.same(ids(visibleRows(m, new Set(['s5']))).length, 6)
})
