// What the RED charts draw from a metrics series: nothing after now, and the bucket still
// filling kept apart (a dashed continuation of rate and latency, no error rate), so a
// half-filled bucket cannot show a fake drop or a fake error spike.
import t from 'tap'
import { metricsWindow, redChartData } from '../../src/ui/charts/red-chart-data.ts'
import type { MetricsPoint } from '../../src/query-api/query-api-types.ts'

const point = (t: number, requests: number, errors: number, extra: Partial<MetricsPoint> = {}): MetricsPoint => ({
  t,
  requests,
  errors,
  ratePerSec: requests / 10,
  errorRate: requests ? errors / requests : 0,
  p50Ms: requests ? 5 : null,
  p99Ms: requests ? 9 : null,
  ...extra,
})

t.test('no buckets after now; the one holding now is apart and has no error rate', async (t) => {
  const now = 1_000_035_000
  const points = [
    point(1_000_000_000, 10, 0),
    point(1_000_010_000, 10, 0),
    point(1_000_020_000, 10, 1),
    point(1_000_030_000, 2, 1, { unfinished: true }),
    point(1_000_040_000, 0, 0),
    point(1_000_050_000, 0, 0),
  ]
  const d = redChartData({ stepMs: 10_000, points }, now)!
  t.same(d.xs, [1_000_000, 1_000_010, 1_000_020, 1_000_030], 'the two buckets after now are not drawn (as zeros or at all)')
  t.same(d.rate, [1, 1, 1, null], 'the finished line stops at the last finished bucket')
  t.same(d.rateUnfinished, [null, null, 1, 0.2], 'the dashed continuation joins it to the bucket still filling')
  t.same(d.errorRate, [0, 0, 0.1, null], 'a half-filled bucket with 1 failure in 2 is not a 50% spike')
  t.same(d.p99Unfinished, [null, null, 9, 9])
  t.equal(d.unfinishedFromMs, 1_000_030_000)
})

t.test('a series from an older collector (no marks) is judged by its step and now', async (t) => {
  const points = [point(0, 10, 0), point(10_000, 10, 2)]
  t.equal(redChartData({ stepMs: 10_000, points }, 15_000)!.unfinishedFromMs, 10_000)
  const past = redChartData({ stepMs: 10_000, points }, 60_000)!
  t.equal(past.unfinishedFromMs, null, 'a window in the past is all finished')
  t.same(past.errorRate, [0, 0.2])
  t.same(past.rateUnfinished, [null, null])
})

t.test('the window around the trace comes from the URL, ±30 min by default', async (t) => {
  t.equal(metricsWindow('5m').ms, 5 * 60_000)
  t.equal(metricsWindow('2h').label, '±2 h')
  t.equal(metricsWindow(null).value, '30m')
  t.equal(metricsWindow('99y').value, '30m')
})
