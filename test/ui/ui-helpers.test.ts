// The UI's pure helpers: which values may become links, trace id pasting, the search form's
// duration and attribute syntax, number formatting and the service map's layout.
import t from 'tap'
import { formatDuration, formatPercent, formatRate } from '../../src/ui/lib/format.ts'
import { serviceColor } from '../../src/ui/lib/service-colors.ts'
import { layeredLayout, NODE_W } from '../../src/ui/lib/layered-layout.ts'
import { normaliseTraceId, safeHttpUrl } from '../../src/ui/lib/safe-url.ts'
import { formatAttributeFilter, parseAttributeFilter, parseDurationMs } from '../../src/ui/lib/time-range.ts'

t.test('only absolute http(s) URLs become links', async (t) => {
  t.equal(safeHttpUrl('https://example.com/a?b=1'), 'https://example.com/a?b=1')
  t.equal(safeHttpUrl('HTTP://example.com'), 'http://example.com/')
  for (const bad of [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>1</script>',
    'vbscript:x',
    '//evil.example',
    '/relative',
    'http:/x',
    'https://',
    'file:///etc/passwd',
  ]) {
    t.equal(safeHttpUrl(bad), null, `${bad} stays text`)
  }
  t.equal(safeHttpUrl(42), null)
})

t.test('pasted trace ids are normalised or refused', async (t) => {
  t.equal(normaliseTraceId(' 4BF92F3577B34DA6A3CE929D0E0E4736 '), '4bf92f3577b34da6a3ce929d0e0e4736')
  t.equal(normaliseTraceId('4bf92f35-77b3-4da6-a3ce-929d0e0e4736'), '4bf92f3577b34da6a3ce929d0e0e4736')
  t.equal(normaliseTraceId('a3ce929d0e0e4736'), '0000000000000000a3ce929d0e0e4736', '64-bit ids are zero-padded as Jaeger does')
  t.equal(normaliseTraceId('not-a-trace'), null)
  t.equal(normaliseTraceId('../../api/services'), null)
})

t.test('durations in the search form', async (t) => {
  t.equal(parseDurationMs('250ms'), 250)
  t.equal(parseDurationMs('1.5s'), 1500)
  t.equal(parseDurationMs('2m'), 120_000)
  t.equal(parseDurationMs('800us'), 0.8)
  t.equal(parseDurationMs('42'), 42)
  t.equal(parseDurationMs('soon'), null)
  t.equal(parseDurationMs('-5ms'), null)
})

t.test('attribute filters: key=value terms, quotes for spaces, round trip', async (t) => {
  t.same(parseAttributeFilter('http.status_code=500 user.id="a b" empty=""'), { terms: ['http.status_code=500', 'user.id=a b', 'empty='] })
  t.same(parseAttributeFilter('q="say \\"hi\\""'), { terms: ['q=say "hi"'] })
  t.match(parseAttributeFilter('novalue'), { error: /"novalue" is not key=value/ })
  const terms = ['a=1', 'b=x y', 'c=say "hi"']
  t.same(parseAttributeFilter(formatAttributeFilter(terms)), { terms })
})

t.test('numbers as text', async (t) => {
  t.equal(formatDuration(0.25), '250µs')
  t.equal(formatDuration(3), '3.00ms')
  t.equal(formatDuration(290), '290ms')
  t.equal(formatDuration(1500), '1.5s')
  t.equal(formatDuration(600_000), '10m')
  t.equal(formatDuration(5_400_000), '1h30m')
  t.equal(formatPercent(0.05), '5%')
  t.equal(formatPercent(1), '100%')
  t.equal(formatRate(2.5), '2.50/s')
  t.equal(formatRate(1 / 60), '1.0/min')
  t.equal(formatRate(1 / 3600), '1.0/h')
})

t.test('service map: callers left of callees, cycles and separate groups handled', async (t) => {
  const edge = (parent: string, child: string) => ({ parent, child, callCount: 1, errorCount: 0 })
  const { nodes } = layeredLayout(
    ['lonely'],
    [edge('frontend', 'checkout'), edge('checkout', 'payments'), edge('frontend', 'inventory'), edge('payments', 'checkout'), edge('a', 'b')],
  )
  const x = (n: string) => nodes.get(n)!.x
  t.ok(x('frontend') < x('checkout') && x('checkout') < x('payments'), 'frontend → checkout → payments left to right, despite payments calling back')
  t.equal(x('inventory'), x('checkout'), 'both callees of frontend share a column')
  t.ok(nodes.get('a')!.y > nodes.get('payments')!.y, 'an unconnected pair sits below the main group')
  t.ok(nodes.get('lonely')!.y > nodes.get('a')!.y, 'a service that calls no one comes last')
  const boxes = [...nodes.values()]
  for (const a of boxes) for (const b of boxes) if (a !== b) t.notOk(a.x === b.x && Math.abs(a.y - b.y) < 44, `${a.name} and ${b.name} do not overlap`)
  t.equal(x('frontend'), 20, 'the first column starts at the margin')
  t.equal(x('checkout') - x('frontend') > NODE_W, true)
})

t.test("a service's colour comes from its name alone, whatever was seen before it", async (t) => {
  // Two fresh copies of the module stand for two page loads that met services in different orders.
  const first = await import('../../src/ui/lib/service-colors.ts?load=1')
  const second = await import('../../src/ui/lib/service-colors.ts?load=2')
  const colour = first.serviceColor('checkout')
  for (const s of ['payments', 'inventory', 'frontend']) second.serviceColor(s)
  t.equal(second.serviceColor('checkout'), colour, 'the same colour in the other load')
  t.equal(serviceColor('checkout'), colour)
  t.match(colour, /^#[0-9a-f]{6}$/)
  t.not(serviceColor('api-1'), serviceColor('api-2'), 'similar names spread apart')
})
