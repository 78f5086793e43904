// Figures that must not mislead, in a real browser against a real collector: a rate is per
// second over the time the service had traffic (the window is said beside it), the services page
// and the map honour a custom range in the URL (the load report links to one), and a service
// keeps its colour (a hash of its name) across pages and reloads.
import t from 'tap'
import { serviceColor } from '../../src/ui/lib/service-colors.ts'
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

function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16)
  return `rgb(${n >> 16}, ${(n >> 8) & 255}, ${n & 255})`
}

async function run() {
  t.setTimeout(300_000)
  // A 30-minute window on whole minutes (the metrics' slots are a minute wide for it); inside
  // it, 5 requests a second for 3 minutes: 900 calls frontend → inventory.
  const start = Math.floor((Date.now() - 40 * 60_000) / 60_000) * 60_000
  const end = start + 30 * 60_000
  const burstStart = start + 5 * 60_000
  const spans: TestSpan[] = []
  for (let i = 0; i < 900; i++) {
    const traceId = hexId('f0', 32)
    const at = burstStart + i * 200
    const call: TestSpan = { traceId, spanId: hexId('f1', 16), service: 'frontend', name: 'GET /stock', kind: 'CLIENT', startMs: at, durationMs: 20 }
    spans.push(call, {
      traceId,
      spanId: hexId('f2', 16),
      parentSpanId: call.spanId,
      service: 'inventory',
      name: 'GET /stock',
      kind: 'SERVER',
      startMs: at + 2,
      durationMs: 15,
    })
  }
  const running = await startCollectorWithData(null, { metrics: true })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(spans))
  const { page, pageErrors } = await openTestPage(t)
  const base = running.baseUrl
  const custom = `lookback=custom&start=${start}&end=${end}`

  await t.test('the services page honours a custom range and gives rates over the time with traffic', async (t) => {
    await page.goto(`${base}/services?${custom}`)
    const row = page.locator('[data-testid=services-table] tr:has-text("inventory")')
    await row.waitFor()
    t.equal(await row.locator('[data-testid=rate]').innerText(), '5.00/s over 3m of 30m', '5 req/s for 3 minutes is 5/s, and the window is said beside it')
    t.match(
      await row.locator('[data-testid=rate]').getAttribute('title'),
      /900 requests in 30m.*0\.50\/s over the whole window/,
      'the hover gives the count and the rate over the whole window',
    )
    t.match(
      await page.locator('select').evaluate((s: HTMLSelectElement) => s.selectedOptions[0]!.textContent),
      /–/,
      'the window selector shows the custom range',
    )
    t.match(
      await row.locator('a:has-text("Traces")').getAttribute('href'),
      new RegExp(`lookback=custom&start=${start}&end=${end}`),
      'its traces link keeps the range',
    )
  })

  await t.test('the service map gives calls in the window, not a rate averaged over it', async (t) => {
    await page.goto(`${base}/map?${custom}`)
    await page.locator('[data-testid=service-map] .edge-label').first().waitFor()
    t.equal(await page.locator('[data-testid=service-map] .edge-label').first().textContent(), '900 calls in 30m')
  })

  await t.test('a service keeps the colour derived from its name on every page and after a reload', async (t) => {
    const want = rgb(serviceColor('inventory'))
    await page.goto(`${base}/services?${custom}`)
    const dot = page.locator('[data-testid=services-table] tr:has-text("inventory") .svc-dot')
    await dot.waitFor()
    t.equal(await dot.evaluate((e) => getComputedStyle(e).backgroundColor), want, 'on the services page')
    const traceId = spans[1]!.traceId
    await page.goto(`${base}/trace/${traceId}`)
    const mark = page.locator(`.wf-row[data-span-id="${spans[1]!.spanId}"] .wf-svc-mark`)
    await mark.waitFor()
    t.equal(await mark.evaluate((e) => getComputedStyle(e).backgroundColor), want, 'on a trace page')
    await page.reload()
    await mark.waitFor()
    t.equal(await mark.evaluate((e) => getComputedStyle(e).backgroundColor), want, 'after a reload')
    t.not(serviceColor('inventory'), serviceColor('frontend'), 'the two services of this test differ')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
