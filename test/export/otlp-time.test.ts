import t from 'tap'
import { unixMsToHrTime } from '../../src/export/otlp-trace-encode.js'

t.test('epoch ms floats become [s, ns] without losing the sub-millisecond part', async (t) => {
  t.same(unixMsToHrTime(1_700_000_000_000), [1_700_000_000, 0])
  t.same(unixMsToHrTime(1_700_000_000_123.5), [1_700_000_000, 123_500_000])
  t.same(unixMsToHrTime(1_700_000_000_999.75), [1_700_000_000, 999_750_000])
  t.same(unixMsToHrTime(0.001), [0, 1000], 'one microsecond')
  // eslint-disable-next-line no-loss-of-precision -- a fraction finer than a double holds, on purpose
  const [, nanos] = unixMsToHrTime(1_700_000_000_999.9999999)
  t.ok(nanos < 1e9, 'rounding never yields 1e9 nanoseconds')
})
