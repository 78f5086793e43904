// The search scatter in a real browser: its time axis spans the results with a little room (not
// the whole lookback, which would pile them into one column), and each dot describes its trace on
// hover: operation, duration, time and errors.
import t from 'tap'
import { formatDateTime } from '../../src/ui/lib/format.ts'
import { chromiumMissing, openTestPage } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'

const missing = chromiumMissing()
if (missing) {
  t.comment(missing)
  t.pass('skipped: ' + missing)
} else {
  await run()
}

async function run() {
  t.setTimeout(300_000)
  // Three traces two minutes apart in all, 40 minutes ago; the search looks back an hour.
  const base = Date.now() - 40 * 60_000
  const spans: TestSpan[] = [
    { traceId: hexId('a0', 32), spanId: hexId('a1', 16), service: 'checkout', name: 'GET /first', kind: 'SERVER', startMs: base, durationMs: 200 },
    {
      traceId: hexId('a0', 32),
      spanId: hexId('a1', 16),
      service: 'checkout',
      name: 'POST /middle',
      kind: 'SERVER',
      startMs: base + 60_000,
      durationMs: 200,
      error: 'boom',
    },
    { traceId: hexId('a0', 32), spanId: hexId('a1', 16), service: 'checkout', name: 'GET /last', kind: 'SERVER', startMs: base + 120_000, durationMs: 200 },
  ]
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(spans))
  const { page, pageErrors } = await openTestPage(t)

  await page.goto(`${running.baseUrl}/search?lookback=1h`)
  await page.locator('[data-testid=scatter] .u-over').waitFor()
  const over = (await page.locator('[data-testid=scatter] .u-over').boundingBox())!
  // All three took 200ms: the y scale runs to 1.1 × the longest, so the dots sit at 1/11 from the top.
  const y = over.y + over.height * (1 - 1 / 1.1)
  // The axis spans the 120 s of results plus 5 % each side: dots at 6/132, 66/132 and 126/132 of the width.
  const at = (share: number) => over.x + over.width * share
  const tooltip = page.locator('[data-testid=scatter-tooltip]')

  await t.test('the time axis spans the results: the first and last traces sit near its ends', async (t) => {
    await page.mouse.move(at(6 / 132), y)
    await tooltip.waitFor()
    t.match(await tooltip.innerText(), /checkout: GET \/first/, 'the earliest trace is near the left edge')
    await page.mouse.move(at(126 / 132), y)
    await tooltip.filter({ hasText: 'GET /last' }).waitFor()
    t.pass('the latest trace is near the right edge')
  })

  await t.test('each dot describes its trace: operation, duration, time, errors', async (t) => {
    await page.mouse.move(at(66 / 132), y)
    await tooltip.filter({ hasText: 'POST /middle' }).waitFor()
    const text = await tooltip.innerText()
    t.match(text, /checkout: POST \/middle/, 'service and operation')
    t.match(text, /200ms · 1 span/, 'duration and spans')
    t.match(text, formatDateTime(base + 60_000), 'when it started, to the millisecond')
    t.match(text, /1 error/, 'its errors')
    await page.mouse.move(at(6 / 132), y)
    await tooltip.filter({ hasText: 'GET /first' }).waitFor()
    t.match(await tooltip.innerText(), /no errors/, 'a trace without errors says so')
    await page.mouse.move(over.x + over.width / 4, over.y + over.height - 4)
    await tooltip.waitFor({ state: 'detached' })
    t.pass('away from the dots there is no tooltip')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
