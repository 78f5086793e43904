// Custom time ranges in a real browser: the search form, the services page and the service map
// take a From/To range to the second (and show it again to the second), and the To input stays
// inside its column at 1280 and 1024 px wide.
import { join } from 'node:path'
import t from 'tap'
import type { Locator } from 'playwright-core'
import { inputValueOf, localText } from './local-time.ts'
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
  // Three checkout → stock calls 8 s apart, 20 minutes ago: a range of seconds picks out the middle one.
  const base = Math.floor((Date.now() - 20 * 60_000) / 1000) * 1000 + 300
  const spans: TestSpan[] = []
  for (const offset of [2_000, 10_000, 18_000]) {
    const traceId = hexId('c0', 32)
    const root: TestSpan = {
      traceId,
      spanId: hexId('c1', 16),
      service: 'checkout',
      name: `GET /at-${offset / 1000}s`,
      kind: 'SERVER',
      startMs: base + offset,
      durationMs: 30,
    }
    spans.push(root, {
      traceId,
      spanId: hexId('c2', 16),
      parentSpanId: root.spanId,
      service: 'stock',
      name: 'GET /stock',
      kind: 'SERVER',
      startMs: base + offset + 5,
      durationMs: 10,
    })
  }
  const from = base + 5_000
  const to = base + 15_000
  const running = await startCollectorWithData(null, { metrics: true })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(spans))
  const { page, pageErrors } = await openTestPage(t)
  const base_ = running.baseUrl

  /** Whether the input's box lies within the column's, and the two spans in pixels. */
  const inside = async (input: Locator, column: Locator): Promise<[boolean, string]> => {
    const i = (await input.boundingBox())!
    const c = (await column.boundingBox())!
    return [
      i.x >= c.x - 0.5 && i.x + i.width <= c.x + c.width + 0.5,
      `the To input (${Math.round(i.x)}–${Math.round(i.x + i.width)}px) is inside its column (${Math.round(c.x)}–${Math.round(c.x + c.width)}px)`,
    ]
  }

  await t.test('search: a custom range to the second finds what started in it, and shows the seconds again', async (t) => {
    await page.goto(`${base_}/search`)
    await page.selectOption('select[name=lookback]', 'custom')
    await page.fill('input[name=start]', localText(from))
    await page.fill('input[name=end]', localText(to))
    await page.click('button:has-text("Find traces")')
    await page.waitForURL(new RegExp(`start=${from - 300}&end=${to - 300}`))
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    t.match(await page.locator('.trace-row').innerText(), /GET \/at-10s/, 'only the trace 10 s in: the others are 3 s before and after the range')
    t.equal(await page.inputValue('input[name=start]'), inputValueOf(from), 'From shows the seconds it was given')
    t.equal(await page.inputValue('input[name=end]'), inputValueOf(to))
    t.equal(await page.getAttribute('input[name=end]', 'step'), '1', 'the inputs take seconds')
  })

  await t.test('services: a custom range can be chosen, to the second', async (t) => {
    await page.goto(`${base_}/services`)
    await page.locator('[data-testid=services-table]').waitFor()
    await page.selectOption('.window-picker select', 'custom')
    await page.fill('.window-picker input[name=start]', localText(base))
    await page.fill('.window-picker input[name=end]', localText(base + 25_000))
    await page.click('.window-picker button:has-text("Apply")')
    await page.waitForURL(new RegExp(`lookback=custom&start=${base - 300}&end=${base + 25_000 - 300}`))
    const row = page.locator('[data-testid=services-table] tr:has-text("stock")')
    // The last window's rows stay on the page, under their own window's labels, until the new ones arrive.
    await row.locator('[data-testid=rate][title*=" in 25s"]').waitFor()
    t.match(await row.locator('[data-testid=rate]').getAttribute('title'), /^3 requests in 25s/, 'the three calls, in a 25 s window')
    t.equal(await page.inputValue('.window-picker input[name=end]'), inputValueOf(base + 25_000), 'the range is shown to the second')
    t.match(
      await page.locator('.window-picker select').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.textContent),
      /–/,
      'the selector names the range',
    )
  })

  await t.test('service map: the same custom range', async (t) => {
    await page.goto(`${base_}/map`)
    await page.selectOption('.window-picker select', 'custom')
    await page.fill('.window-picker input[name=start]', localText(from))
    await page.fill('.window-picker input[name=end]', localText(to))
    await page.click('.window-picker button:has-text("Apply")')
    await page.waitForURL(/\/map\?lookback=custom&start=\d+&end=\d+/)
    // The last window's counts stay on the map, under their own window's labels, until the new ones arrive.
    await page.locator('[data-testid=service-map] .edge-label', { hasText: ' in 10s' }).first().waitFor()
    t.equal(
      await page.locator('[data-testid=service-map] .edge-label').first().textContent(),
      '1 call in 10s',
      'only the call that started in those 10 seconds',
    )
  })

  for (const width of [1280, 1024]) {
    await t.test(`at ${width} px wide the To input stays inside its column`, async (t) => {
      await page.setViewportSize({ width, height: 800 })
      await page.goto(`${base_}/search?lookback=custom&start=${from}&end=${to}`)
      await page.locator('.sidebar input[name=end]').waitFor()
      const [searchOk, searchSays] = await inside(page.locator('.sidebar input[name=end]'), page.locator('.search-form'))
      t.ok(searchOk, `search: ${searchSays}`)
      await page.screenshot({ path: join(shots, `custom-range-search-${width}.png`) })
      await page.goto(`${base_}/services?lookback=custom&start=${from}&end=${to}`)
      await page.locator('.window-picker input[name=end]').waitFor()
      const [servicesOk, servicesSays] = await inside(page.locator('.window-picker input[name=end]'), page.locator('.page-head'))
      t.ok(servicesOk, `services: ${servicesSays}`)
      await page.screenshot({ path: join(shots, `custom-range-services-${width}.png`) })
    })
  }

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
