// The Logs page in a real browser against a real collector: newest first, by service and by text,
// over a lookback or a custom range to the second (the window selector of the services page, the
// other filters kept when the window changes), each line linking to its trace, markup in a log
// line staying text. And the services page's sparklines mark their last slot while it is still
// filling (a window ending now), as the metrics panel marks its unfinished bucket, and not for a
// range that ended in the past.
import t from 'tap'
import { inputValueOf, localText } from './local-time.ts'
import { chromiumMissing, openTestPage } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, logsBody, postOtlp, type TestLog, type TestSpan, tracesBody } from './otlp-json.ts'
import { XSS_IMG, XSS_SCRIPT } from './ui-fixture.ts'

t.test('the logs page and the sparklines', { skip: chromiumMissing() }, async (t) => {
  // Three log lines 8 s apart, 20 minutes ago: a range of seconds picks out the middle one.
  const base = Math.floor((Date.now() - 20 * 60_000) / 1000) * 1000 + 300
  const traceId = hexId('d7', 32)
  const spanId = hexId('d7', 16)
  const spans: TestSpan[] = [
    { traceId, spanId, service: 'checkout', name: 'POST /cart', kind: 'SERVER', startMs: base + 9_990, durationMs: 30 },
    // Traffic now, for the services page's sparklines.
    { traceId: hexId('d8', 32), spanId: hexId('d8', 16), service: 'stock', name: 'GET /stock', kind: 'SERVER', startMs: Date.now() - 2_000, durationMs: 5 },
    { traceId: hexId('d8', 32), spanId: hexId('d8', 16), service: 'stock', name: 'GET /stock', kind: 'SERVER', startMs: base + 1_000, durationMs: 5 },
  ]
  const logs: TestLog[] = [
    { traceId: hexId('d9', 32), service: 'stock', timeMs: base + 2_000, severityNumber: 9, severityText: 'INFO', body: 'stock checked sku=1 early' },
    { traceId, spanId, service: 'checkout', timeMs: base + 10_000, severityNumber: 17, severityText: 'ERROR', body: 'cart rejected: card declined' },
    { traceId: '', service: 'stock', timeMs: base + 18_000, severityNumber: 13, severityText: 'WARN', body: `stock low sku=1 late ${XSS_IMG} ${XSS_SCRIPT}` },
  ]
  const running = await startCollectorWithData(null, { metrics: true })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(spans))
  await postOtlp(running.collector.ports.otlpHttp, '/v1/logs', logsBody(logs))
  const { page, pageErrors } = await openTestPage(t)
  const url = running.baseUrl
  const bodies = () => page.locator('[data-testid=log-list] .log-body').allInnerTexts()

  await t.test('every line of the last hour, newest first, linking to its trace', async (t) => {
    await page.goto(`${url}/search`)
    await page.click('.topbar nav a:has-text("Logs")')
    await page.waitForURL(/\/logs$/)
    await page.locator('[data-testid=log-list]').waitFor()
    const shown = await bodies()
    t.equal(shown.length, 3, 'the three lines')
    t.match(shown[0], /late/, 'newest first')
    t.match(shown[2], /early/)
    t.match(shown[0], XSS_IMG, 'markup in a log line is shown as text')
    t.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? 0), 0, 'and never runs')
    const link = page.locator('.log-row', { hasText: 'card declined' }).locator('a', { hasText: 'trace' })
    t.match(await link.getAttribute('href'), new RegExp(`/trace/${traceId}\\?span=${spanId}&tab=logs`), "a line's trace link opens its span's logs")
    t.equal(await page.locator('.log-row', { hasText: 'late' }).locator('a', { hasText: 'trace' }).count(), 0, 'a line without a trace has no link')
  })

  await t.test('by service and by text, kept in the URL', async (t) => {
    await page.selectOption('.logs-filter select[name=service]', 'stock')
    await page.waitForURL(/service=stock/)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=log-list] .log-row').length === 2)
    t.pass('the service keeps its two lines')
    await page.fill('.logs-filter input[name=q]', 'EARLY')
    await page.press('.logs-filter input[name=q]', 'Enter')
    await page.waitForURL(/q=EARLY/)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=log-list] .log-row').length === 1)
    t.match((await bodies())[0], /early/, 'the text, any case')
    await page.fill('.logs-filter input[name=q]', '')
    await page.press('.logs-filter input[name=q]', 'Enter')
    await page.selectOption('.logs-filter select[name=service]', '')
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=log-list] .log-row').length === 3)
  })

  await t.test('a custom range, to the second, keeps the other filters', async (t) => {
    await page.goto(`${url}/logs?service=checkout`)
    await page.locator('[data-testid=log-list]').waitFor()
    await page.selectOption('.window-picker select', 'custom')
    await page.fill('.window-picker input[name=start]', localText(base + 5_000))
    await page.fill('.window-picker input[name=end]', localText(base + 15_000))
    await page.click('.window-picker button:has-text("Apply")')
    await page.waitForURL(new RegExp(`service=checkout.*lookback=custom&start=${base + 5_000 - 300}&end=${base + 15_000 - 300}`))
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=log-list] .log-row').length === 1)
    t.match((await bodies())[0], /card declined/, 'the line 10 s in, of the service asked for')
    t.equal(await page.inputValue('.window-picker input[name=end]'), inputValueOf(base + 15_000), 'the range is shown to the second')
    await page.selectOption('.logs-filter select[name=service]', '')
    await page.waitForURL(/lookback=custom/)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=log-list] .log-row').length === 1)
    t.pass('changing the service keeps the range: the lines 3 s before and after it stay out')
    await page.selectOption('.window-picker select', '5m')
    await page.locator('.state-empty', { hasText: 'No logs in this window' }).waitFor()
    t.pass('the last 5 minutes hold none of them, and say so')
  })

  await t.test('a sparkline marks its last slot while it is still filling, and only then', async (t) => {
    await page.goto(`${url}/services`)
    const row = page.locator('[data-testid=services-table] tr', { hasText: 'GET /stock' })
    await row.waitFor()
    t.equal(await row.locator('[data-testid=spark-unfinished]').count(), 1, 'the last hour ends now: its last slot is drawn as unfinished')
    t.match(await row.locator('[data-testid=spark-unfinished] title').textContent(), /has not ended/, 'and says why on hover')
    await page.goto(`${url}/services?lookback=custom&start=${base}&end=${base + 25_000}`)
    await row.waitFor()
    t.equal(await row.locator('[data-testid=spark-unfinished]').count(), 0, 'a range that ended in the past has no unfinished slot')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
})
