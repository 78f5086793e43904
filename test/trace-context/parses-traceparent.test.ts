import t from 'tap'
import { formatTraceparent, formatTraceresponse, parseTraceparent } from '../../src/trace-context/index.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'
const VALID = `00-${TRACE}-${SPAN}-01`

t.test('a valid version 00 traceparent', async (t) => {
  t.same(parseTraceparent(VALID), {
    traceId: TRACE,
    spanId: SPAN,
    traceFlags: 1,
    traceState: '',
    format: 'tracecontext',
    sampled: true,
    debug: false,
    traceIdBits: 128,
  })
  const unsampled = parseTraceparent(`00-${TRACE}-${SPAN}-00`)
  t.equal(unsampled?.sampled, false)
  t.equal(unsampled?.traceFlags, 0)
})

t.test('flags are read as a byte, all bits kept', async (t) => {
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-ff`)?.traceFlags, 0xff)
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-03`)?.traceFlags, 3)
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-02`)?.sampled, false, 'sampled is bit 0 only')
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-a1`)?.sampled, true)
})

t.test('leading and trailing OWS (spaces, tabs) is tolerated', async (t) => {
  t.equal(parseTraceparent(`  ${VALID}\t`)?.traceId, TRACE)
  t.equal(parseTraceparent(`\t${VALID}`)?.spanId, SPAN)
  t.equal(parseTraceparent(`00-${TRACE} -${SPAN}-01`), undefined, 'but not inside')
})

t.test('version ff is invalid', async (t) => {
  t.equal(parseTraceparent(`ff-${TRACE}-${SPAN}-01`), undefined)
})

t.test('version 00 must be exactly 55 characters', async (t) => {
  t.equal(parseTraceparent(`${VALID}-extra`), undefined, 'extra field')
  t.equal(parseTraceparent(`${VALID}0`), undefined, 'one character more')
  t.equal(parseTraceparent(`${VALID}-`), undefined, 'trailing dash')
  t.equal(parseTraceparent(VALID.slice(0, 54)), undefined, 'one character less')
})

t.test('a future version is accepted with extra fields after a dash', async (t) => {
  t.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01`)?.traceId, TRACE, 'exactly 55')
  const withExtra = parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`)
  t.equal(withExtra?.traceId, TRACE)
  t.equal(withExtra?.spanId, SPAN)
  t.equal(withExtra?.traceFlags, 1)
  t.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-`)?.spanId, SPAN, 'a bare dash after the flags')
})

t.test('a future version with extra characters not separated by a dash is invalid', async (t) => {
  t.equal(parseTraceparent(`cc-${TRACE}-${SPAN}-01.what`), undefined)
  t.equal(parseTraceparent(`cc-${TRACE}-${SPAN}-011`), undefined)
  t.equal(parseTraceparent(`cc-${TRACE}-${SPAN}-0`), undefined, 'shorter than 55')
  t.equal(parseTraceparent(`cc-${TRACE}-${SPAN}`), undefined, 'flags missing')
})

t.test('all-zero ids are invalid', async (t) => {
  t.equal(parseTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`), undefined, 'trace id')
  t.equal(parseTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`), undefined, 'parent id')
})

t.test('wrong field lengths are invalid', async (t) => {
  t.equal(parseTraceparent(`00-${TRACE}0-${SPAN.slice(1)}-01`), undefined, 'long trace id, short span id')
  t.equal(parseTraceparent(`00-${TRACE.slice(1)}-${SPAN}0-01`), undefined, 'short trace id, long span id')
  t.equal(parseTraceparent(`000-${TRACE}-${SPAN}-1`), undefined, 'three-digit version')
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-1`), undefined, 'one-digit flags')
  t.equal(parseTraceparent(''), undefined, 'empty')
  t.equal(parseTraceparent(`00_${TRACE}_${SPAN}_01`), undefined, 'other separators')
})

t.test('non-hex and upper-case characters are invalid', async (t) => {
  t.equal(parseTraceparent(`00-${TRACE.slice(0, 31)}g-${SPAN}-01`), undefined, 'g in trace id')
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN.slice(0, 15)}z-01`), undefined, 'z in span id')
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-0x`), undefined, 'x in flags')
  t.equal(parseTraceparent(`0g-${TRACE}-${SPAN}-01`), undefined, 'g in version')
  t.equal(parseTraceparent(`00-${TRACE.toUpperCase()}-${SPAN}-01`), undefined, 'upper-case trace id')
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN.toUpperCase()}-01`), undefined, 'upper-case span id')
  t.equal(parseTraceparent(`00-${TRACE}-${SPAN}-0A`), undefined, 'upper-case flags')
  t.equal(parseTraceparent(`FF-${TRACE}-${SPAN}-01`), undefined, 'upper-case version')
  t.equal(parseTraceparent(`0A-${TRACE}-${SPAN}-01`), undefined, 'upper-case future version')
})

t.test('duplicate values joined by a proxy are invalid', async (t) => {
  t.equal(parseTraceparent(`${VALID}, ${VALID}`), undefined, 'version 00')
  t.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01, 01-${TRACE}-${SPAN}-01`), undefined, 'future version')
})

t.test('formatting writes version 00 and only the defined flag bits', async (t) => {
  t.equal(formatTraceparent(TRACE, SPAN, 1), VALID)
  t.equal(formatTraceparent(TRACE, SPAN, 0), `00-${TRACE}-${SPAN}-00`)
  t.equal(formatTraceparent(TRACE, SPAN, 3), `00-${TRACE}-${SPAN}-03`, 'sampled and random kept')
  t.equal(formatTraceparent(TRACE, SPAN, 0xfd), `00-${TRACE}-${SPAN}-01`, 'reserved bits zeroed')
  t.same(parseTraceparent(formatTraceparent(TRACE, SPAN, 2))?.traceFlags, 2, 'round trip')
})

t.test('traceresponse has the traceparent shape for the serving span', async (t) => {
  t.equal(formatTraceresponse(TRACE, SPAN, 1), VALID)
  t.equal(formatTraceresponse(TRACE, SPAN, 0), `00-${TRACE}-${SPAN}-00`)
})
