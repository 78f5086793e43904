import t from 'tap'
import { findTraceIdInText } from '../../src/collector/logs/trace-id-in-text.js'

const id = '4bf92f3577b34da6a3ce929d0e0e4736'

t.test('keyed forms', async (t) => {
  t.equal(findTraceIdInText(`GET /x 200 trace_id=${id} span_id=00f067aa0ba902b7`), id)
  t.equal(findTraceIdInText(`{"level":"info","traceId":"${id.toUpperCase()}","msg":"x"}`), id, 'JSON field, upper case normalised')
  t.equal(findTraceIdInText(`trace-id: ${id}`), id)
  t.equal(findTraceIdInText(`other=${'a'.repeat(32)} trace_id=${id}`), id, 'the keyed id wins over another bare id')
})

t.test('traceparent and bare ids', async (t) => {
  t.equal(findTraceIdInText(`forwarding traceparent 00-${id}-00f067aa0ba902b7-01`), id)
  t.equal(findTraceIdInText(`request ${id} done`), id)
})

t.test('what is not a trace id', async (t) => {
  t.equal(findTraceIdInText('no id here at all, just a long enough line of words'), undefined)
  t.equal(findTraceIdInText(`trace_id=${'0'.repeat(32)}`), undefined, 'all zero is invalid')
  t.equal(findTraceIdInText(`sha ${'a'.repeat(40)}`), undefined, '40 hex digits (a git sha) is not a trace id')
  t.equal(findTraceIdInText(`uuid 4bf92f35-77b3-4da6-a3ce-929d0e0e4736`), undefined)
})

t.test('extra patterns are tried first', async (t) => {
  const other = 'abcdefabcdefabcdefabcdefabcdef12'
  t.equal(findTraceIdInText(`rid:${other} trace_id=${id}`, [/rid:([0-9a-f]{32})/]), other)
})
