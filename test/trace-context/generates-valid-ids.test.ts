import t from 'tap'
import { newSpanId, newTraceId } from '../../src/trace-context/index.js'

const ID_COUNT = 100_000

t.test('trace ids are 32 lowercase hex, never all zeros, and unique over 100k', async (t) => {
  const seen = new Set<string>()
  let bad = 0
  for (let i = 0; i < ID_COUNT; i++) {
    const id = newTraceId()
    if (!/^[0-9a-f]{32}$/.test(id) || id === '0'.repeat(32)) bad++
    seen.add(id)
  }
  t.equal(bad, 0, 'every id is well-formed and non-zero')
  t.equal(seen.size, ID_COUNT, 'no id repeats')
})

t.test('span ids are 16 lowercase hex, never all zeros, and unique over 100k', async (t) => {
  const seen = new Set<string>()
  let bad = 0
  for (let i = 0; i < ID_COUNT; i++) {
    const id = newSpanId()
    if (!/^[0-9a-f]{16}$/.test(id) || id === '0'.repeat(16)) bad++
    seen.add(id)
  }
  t.equal(bad, 0, 'every id is well-formed and non-zero')
  t.equal(seen.size, ID_COUNT, 'no id repeats')
})

t.test('interleaved trace and span ids never share bytes across pool refills', async (t) => {
  // Span ids are 8 bytes and trace ids 16 from the same pool: a trace id must never
  // contain a span id handed out just before or after it.
  let overlaps = 0
  let previousSpan = newSpanId()
  for (let i = 0; i < 20_000; i++) {
    const trace = newTraceId()
    const span = newSpanId()
    if (trace.includes(previousSpan) || trace.includes(span)) overlaps++
    previousSpan = span
  }
  t.equal(overlaps, 0)
})

t.test('hex digits are spread evenly (the pool really is random)', async (t) => {
  const counts = new Array<number>(16).fill(0)
  for (let i = 0; i < 20_000; i++) {
    const id = newTraceId()
    for (let j = 0; j < id.length; j++) counts[parseInt(id[j]!, 16)]!++
  }
  const expected = (20_000 * 32) / 16
  for (let digit = 0; digit < 16; digit++) {
    // 640k digits: each count is 40000 ± ~190 (1 sd); 5% is far outside chance.
    t.ok(Math.abs(counts[digit]! - expected) < expected * 0.05, `digit ${digit.toString(16)}: ${counts[digit]}`)
  }
})
