// The trace page's metrics panel in a real browser: its window ends at now (the trace is recent,
// so ±30 min would reach into the future), the bucket still filling is said apart, each chart's
// key sits outside its plot, and the window (±5 min, ±30 min, ±2 h) is in the URL.
import { join } from 'node:path'
import t from 'tap'
import { chromiumMissing, openTestPage, screenshotDir } from './browser.ts'
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
  const shots = screenshotDir()
  const now = Date.now()
  // payments answered every 5 s for the last 10 minutes; one of them is the trace we open.
  const spans: TestSpan[] = []
  for (let at = now - 10 * 60_000; at < now - 1000; at += 5000) {
    spans.push({ traceId: hexId('e0', 32), spanId: hexId('e1', 16), service: 'payments', name: 'POST /pay', kind: 'SERVER', startMs: at, durationMs: 12 })
  }
  const opened = spans[60]!
  const running = await startCollectorWithData(null, { metrics: true })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(spans))
  const { page, pageErrors } = await openTestPage(t)
  const panel = page.locator('[data-testid=metrics-panel]')

  await t.test('a recent trace: the window ends at now and the bucket still filling is said apart', async (t) => {
    await page.goto(`${running.baseUrl}/trace/${opened.traceId}?span=${opened.spanId}&tab=metrics`)
    await page.locator('[data-testid=metrics-charts] canvas').nth(2).waitFor()
    const caption = await panel.locator('.panel-caption').innerText()
    t.match(caption, /payments · \d\d:\d\d:\d\d\.\d{3} – now \(\d\d:\d\d:\d\d\.\d{3}\) \(±30 min\)/, 'the window stops at now, not 30 minutes after the trace')
    t.match(
      await page.locator('[data-testid=unfinished-note]').innerText(),
      /still filling.*left out of the error rate/s,
      'the unfinished last bucket is named',
    )
    t.equal(
      await page.locator('[data-testid=chart-key]:has-text("still filling")').count(),
      2,
      'rate and duration mark it in their key; the error rate leaves it out',
    )
    await page.screenshot({ path: join(shots, 'metrics-panel.png') })
  })

  await t.test("each chart's key sits outside its plot", async (t) => {
    const charts = page.locator('[data-testid=red-chart]')
    t.equal(await charts.count(), 3)
    for (let i = 0; i < 3; i++) {
      const chart = charts.nth(i)
      await chart.locator('.u-over').waitFor()
      const key = (await chart.locator('[data-testid=chart-key]').boundingBox())!
      const plot = (await chart.locator('.u-over').boundingBox())!
      const overlaps = key.x < plot.x + plot.width && plot.x < key.x + key.width && key.y < plot.y + plot.height && plot.y < key.y + key.height
      t.notOk(overlaps, `chart ${i + 1}: the key (${Math.round(key.y)}–${Math.round(key.y + key.height)}px) is above the plot (from ${Math.round(plot.y)}px)`)
      t.match(await chart.locator('[data-testid=chart-key]').innerText(), /this trace/, "the trace's marker is named in the key, not on the data")
    }
  })

  await t.test('the window around the trace can be changed and is kept in the URL', async (t) => {
    await page.click('[data-testid=metrics-panel] button:has-text("±5 min")')
    await page.waitForURL(/around=5m/)
    await page.locator('[data-testid=metrics-panel] .panel-caption:has-text("±5 min")').waitFor()
    await page.locator('[data-testid=metrics-charts] canvas').nth(2).waitFor()
    t.equal(await page.locator('[data-testid=metrics-panel] button:has-text("±5 min")').getAttribute('aria-pressed'), 'true')
    const [from, to] = (await panel.locator('.panel-caption').innerText()).match(/\d\d:\d\d:\d\d/g)!
    const seconds = (s: string) => s.split(':').reduce((a, n) => a * 60 + Number(n), 0)
    t.equal(
      (seconds(to!) - seconds(from!) + 86_400) % 86_400,
      10 * 60,
      'five minutes either side of the trace (5 minutes old, so the end is not in the future yet)',
    )
    await page.reload()
    await page.locator('[data-testid=metrics-panel] .panel-caption:has-text("±5 min")').waitFor()
    t.pass('a reload keeps the window')
    await page.click('[data-testid=metrics-panel] button:has-text("±2 h")')
    await page.waitForURL(/around=2h/)
    await page.locator('[data-testid=metrics-panel] .panel-caption:has-text("±2 h")').waitFor()
    await page.locator('[data-testid=metrics-charts] canvas').nth(2).waitFor()
    t.match(await panel.locator('.panel-caption').innerText(), /– now/, 'two hours after the trace would be in the future: it ends at now')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
