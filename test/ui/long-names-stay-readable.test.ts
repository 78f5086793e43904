// Long names in a real browser: in the waterfall's name column and in the search result list a
// long service or operation name is cut with an ellipsis (the full text on hover), and never
// pushes the error icon, the hidden-spans badge, the trace id, the duration or the error badge
// out of sight.
import t from 'tap'
import type { Locator } from 'playwright-core'
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

/** Whether `inner` is wholly inside `outer` on screen, and both spans in pixels. */
async function within(inner: Locator, outer: Locator): Promise<[boolean, string]> {
  const i = (await inner.boundingBox())!
  const o = (await outer.boundingBox())!
  const ok = i.width > 0 && i.x >= o.x - 0.5 && i.x + i.width <= o.x + o.width + 0.5 && i.y >= o.y - 0.5 && i.y + i.height <= o.y + o.height + 0.5
  return [ok, `${Math.round(i.x)}–${Math.round(i.x + i.width)}px within ${Math.round(o.x)}–${Math.round(o.x + o.width)}px`]
}

async function run() {
  t.setTimeout(300_000)
  const now = Date.now() - 60_000
  const service = 'order-fulfilment-and-warehouse-allocation-service-eu-west-1-canary'
  const operation = 'POST /api/v2/customers/{customerId}/orders/{orderId}/fulfilment-requests/{requestId}/allocate-inventory-across-warehouses'
  const traceId = hexId('b0', 32)
  const root: TestSpan = {
    traceId,
    spanId: hexId('b1', 16),
    service,
    name: operation,
    kind: 'SERVER',
    startMs: now,
    durationMs: 300,
    error: 'allocation failed',
  }
  const child: TestSpan = {
    traceId,
    spanId: hexId('b2', 16),
    parentSpanId: root.spanId,
    service,
    name: `${operation}/step`,
    kind: 'INTERNAL',
    startMs: now + 10,
    durationMs: 200,
    error: 'no stock',
  }
  const grandchild: TestSpan = {
    traceId,
    spanId: hexId('b3', 16),
    parentSpanId: child.spanId,
    service: 'stock',
    name: 'GET /stock',
    kind: 'SERVER',
    startMs: now + 20,
    durationMs: 50,
  }
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody([root, child, grandchild]))
  const { page, pageErrors } = await openTestPage(t)

  await t.test('waterfall: the error icon and the hidden-spans badge stay visible beside a long name', async (t) => {
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(`${running.baseUrl}/trace/${traceId}`)
    const row = page.locator(`.wf-row[data-span-id="${child.spanId}"]`)
    await row.waitFor()
    const name = row.locator('.wf-name')
    const [iconIn, iconSays] = await within(row.locator('.wf-err-icon'), name)
    t.ok(iconIn, `the error icon is in the name column: ${iconSays}`)
    t.ok(await row.locator('.wf-op').evaluate((e) => e.scrollWidth > e.clientWidth), 'the long operation name is cut')
    t.equal(await row.locator('.wf-op').evaluate((e) => getComputedStyle(e).textOverflow), 'ellipsis', 'with an ellipsis')
    t.match(await name.getAttribute('title'), operation, 'the full name is on hover')
    const [svcIn] = await within(row.locator('.wf-svc'), name)
    t.ok(svcIn, 'the service name keeps a place too')

    await row.locator('.wf-toggle').click()
    await row.locator('.wf-hidden').waitFor()
    const [badgeIn, badgeSays] = await within(row.locator('.wf-hidden'), name)
    t.ok(badgeIn, `the "+1" hidden-spans badge is in the name column: ${badgeSays}`)
    const [iconStill] = await within(row.locator('.wf-err-icon'), name)
    t.ok(iconStill, 'and so is the error icon beside it')
  })

  await t.test('search list: the trace id, duration and error badge stay visible beside a long name', async (t) => {
    await page.setViewportSize({ width: 1024, height: 800 })
    await page.goto(`${running.baseUrl}/search`)
    const row = page.locator('.trace-row').first()
    await row.waitFor()
    const box = row.locator('a')
    const head = row.locator('.trace-row-head')
    for (const [what, sel] of [
      ['trace id', '.trace-id'],
      ['duration', '.trace-duration'],
    ] as const) {
      const [ok, says] = await within(row.locator(sel), head)
      t.ok(ok, `the ${what} is in view: ${says}`)
    }
    const [idBesideTitle] = await within(row.locator('.trace-id'), row.locator('.trace-title'))
    t.ok(idBesideTitle, 'the trace id is not cut off by the title')
    const [badgeIn, badgeSays] = await within(row.locator('.badge-error'), box)
    t.ok(badgeIn, `the error badge is in view: ${badgeSays}`)
    for (const chip of await row.locator('.svc-chip').all()) {
      const [chipIn, chipSays] = await within(chip, box)
      t.ok(chipIn, `the service chip "${(await chip.innerText()).slice(0, 20)}…" stays inside the row: ${chipSays}`)
    }
    t.match(await row.locator('.trace-title').getAttribute('title'), `${service}: ${operation}`, 'the full name is on hover')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
