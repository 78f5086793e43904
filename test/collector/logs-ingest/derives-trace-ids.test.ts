import t from 'tap'
import { createTraceIdDerivation, deriveIds } from '../../../src/collector/logs-ingest/trace-id-derivation.js'
import { normaliseSpanId, normaliseTraceId } from '../../../src/collector/logs-ingest/trace-id-value.js'
import { logFromRawLine } from '../../../src/collector/logs-ingest/log-line.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'
const d = createTraceIdDerivation()

t.test('id spellings become W3C hex', async (t) => {
  t.equal(normaliseTraceId(TRACE.toUpperCase()), TRACE)
  t.equal(normaliseTraceId('a3ce929d0e0e4736'), '0000000000000000a3ce929d0e0e4736', '64-bit ids are left-padded')
  t.equal(normaliseTraceId('4bf92f35-77b3-4da6-a3ce-929d0e0e4736'), TRACE, 'UUID form')
  t.equal(normaliseTraceId(`00-${TRACE}-${SPAN}-01`), TRACE, 'traceparent')
  t.equal(normaliseTraceId('1-4bf92f35-77b34da6a3ce929d0e0e4736'), TRACE, 'X-Ray')
  t.equal(normaliseTraceId(`projects/p/traces/${TRACE}`), TRACE, 'Google Cloud trace path')
  t.equal(normaliseTraceId('0'.repeat(32)), '', 'all-zero is no id')
  t.equal(normaliseTraceId('not-an-id'), '')
  t.equal(normaliseTraceId('12345', 'auto'), '', 'a short decimal is not a hex id')
  // Datadog: decimal 64-bit; 2^64-1 is the largest.
  t.equal(normaliseTraceId('18446744073709551615', 'decimal'), '0000000000000000ffffffffffffffff')
  t.equal(normaliseTraceId('18446744073709551616', 'decimal'), '', 'beyond 64 bits')
  t.equal(normaliseTraceId('1311768467294899695', 'decimal'), '00000000000000001234567890abcdef', 'Datadog decimal id')
  t.equal(normaliseSpanId(SPAN.toUpperCase()), SPAN)
  t.equal(normaliseSpanId(`00-${TRACE}-${SPAN}-01`), SPAN)
  t.equal(normaliseSpanId('1311768467294899695', 'decimal'), '1234567890abcdef')
})

t.test('structured fields: flat, nested, dotted, case-insensitive, Datadog decimal', async (t) => {
  t.same(deriveIds(d, [{ trace_id: TRACE, span_id: SPAN }], ''), { traceId: TRACE, spanId: SPAN })
  t.same(deriveIds(d, [{ traceId: TRACE, spanId: SPAN }], ''), { traceId: TRACE, spanId: SPAN })
  t.same(deriveIds(d, [{ TraceID: TRACE }], ''), { traceId: TRACE, spanId: '' })
  t.same(deriveIds(d, [{ trace: { id: TRACE }, span: { id: SPAN } }], ''), { traceId: TRACE, spanId: SPAN })
  t.same(deriveIds(d, [{ 'trace.id': TRACE }], ''), { traceId: TRACE, spanId: '' })
  t.same(deriveIds(d, [{ 'x-trace-id': TRACE }], ''), { traceId: TRACE, spanId: '' })
  const dd = { dd: { trace_id: '1311768467294899695', span_id: '1311768467294899695' } }
  t.same(deriveIds(d, [dd], ''), { traceId: '00000000000000001234567890abcdef', spanId: '1234567890abcdef' })
  // eslint-disable-next-line no-loss-of-precision -- the lost digits are what this checks
  t.same(deriveIds(d, [{ 'dd.trace_id': 1311768467294899695 }], '').traceId, '', 'a JSON number above 2^53 lost digits: no id rather than a wrong one')
  t.same(deriveIds(d, [{ 'dd.trace_id': 12345 }], '').traceId, '3039'.padStart(32, '0'), 'a safe integer works')
})

t.test('message text patterns', async (t) => {
  t.same(deriveIds(d, [], `GET /cart 200 trace_id=${TRACE} span_id=${SPAN}`), { traceId: TRACE, spanId: SPAN })
  t.same(deriveIds(d, [], `payment ok [x-trace-id: ${TRACE}]`).traceId, TRACE)
  t.same(deriveIds(d, [], `traceparent 00-${TRACE}-${SPAN}-01 done`), { traceId: TRACE, spanId: SPAN })
  t.same(deriveIds(d, [], `"traceId":"${TRACE.toUpperCase()}"`).traceId, TRACE)
  t.same(deriveIds(d, [], 'dd.trace_id=12345 dd.span_id=67890'), { traceId: '3039'.padStart(32, '0'), spanId: '10932'.padStart(16, '0') })
  t.same(deriveIds(d, [], `GET /cart 200 ${TRACE} 12ms`).traceId, TRACE, 'a bare 32-hex id links, as for OTLP log bodies')
  t.same(deriveIds(d, [], 'mytrace_id=a3ce929d0e0e4736').traceId, '', 'only whole key names')
  t.same(deriveIds(createTraceIdDerivation({ defaultTextPatterns: false }), [], `GET /cart ${TRACE}`).traceId, '', 'no bare fallback when defaults are off')
})

t.test('configured fields and patterns come first; bad patterns are named', async (t) => {
  const custom = createTraceIdDerivation({ traceIdFields: ['req.tid', 'legacy_dd:decimal'], textPatterns: ['corr=(?<traceId>[0-9a-f]{32})'] })
  t.equal(deriveIds(custom, [{ req: { tid: TRACE } }], '').traceId, TRACE)
  t.equal(deriveIds(custom, [{ legacy_dd: '12345' }], '').traceId, '3039'.padStart(32, '0'))
  t.equal(deriveIds(custom, [], `corr=${TRACE}`).traceId, TRACE)
  t.throws(() => createTraceIdDerivation({ textPatterns: ['(unclosed'] }), /textPatterns\[0\] \(unclosed' is not a valid regular expression/)
  t.throws(() => createTraceIdDerivation({ textPatterns: ['trace [0-9a-f]+'] }), /has no capture group/)
  const onlyMine = createTraceIdDerivation({ textPatterns: ['corr=([0-9a-f]{32})'], defaultTextPatterns: false })
  t.equal(deriveIds(onlyMine, [], `corr=${TRACE}`).traceId, TRACE, 'group 1 when unnamed')
  t.equal(deriveIds(onlyMine, [], `trace_id=${TRACE}`).traceId, '', 'defaults off')
})

t.test('raw JSON and text lines', async (t) => {
  const now = 1_700_000_000_000_000_000n
  const json = logFromRawLine(
    JSON.stringify({ time: '2024-01-02T03:04:05.678Z', level: 'error', msg: `charge failed trace=${TRACE}`, order: { id: 17 } }),
    { service: 'billing', resource: {} },
    d,
    now,
  )
  t.match(json, {
    traceId: TRACE,
    severityText: 'error',
    severityNumber: 17,
    body: `charge failed trace=${TRACE}`,
    service: 'billing',
    attributes: { 'order.id': 17, level: 'error' },
  })
  t.equal(json.timeUnixNano, BigInt(Date.parse('2024-01-02T03:04:05.678Z')) * 1_000_000n)
  const pino = logFromRawLine(JSON.stringify({ level: 30, time: 1700000000123, service: 'cart', msg: 'hi' }), { service: '', resource: {} }, d, now)
  t.match(pino, { severityText: 'info', service: 'cart', traceId: '' })
  t.equal(pino.timeUnixNano, 1700000000123n * 1_000_000n)
  const text = logFromRawLine(`2024-01-02 03:04:05 WARN slow request x-trace-id=${TRACE}`, { service: 'legacy', resource: {} }, d, now)
  t.match(text, { traceId: TRACE, service: 'legacy', timeUnixNano: now })
})
