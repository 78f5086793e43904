// Span links in a real browser against a real collector: a span's links show their attributes
// (and tracestate) beside where they point, and a trace lists the spans of other traces that
// link to it, in its header and in the details of the span they name.
import t from 'tap'
import { chromiumMissing, openTestPage } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'

/** An order trace, and a billing batch whose span links the order's charge span and an unstored trace. */
function traces(t0: number) {
  const order = hexId('0a', 32)
  const batch = hexId('0b', 32)
  const unstored = hexId('0e', 32)
  const orderRoot: TestSpan = { traceId: order, spanId: hexId('1a', 16), service: 'shop', name: 'POST /order', startMs: t0, durationMs: 50 }
  const charge: TestSpan = {
    traceId: order,
    spanId: hexId('1a', 16),
    parentSpanId: orderRoot.spanId,
    service: 'payments',
    name: 'charge',
    startMs: t0 + 10,
    durationMs: 20,
  }
  const invoices: TestSpan = {
    traceId: batch,
    spanId: hexId('1b', 16),
    service: 'billing',
    name: 'process invoices',
    kind: 'INTERNAL',
    startMs: t0 + 5000,
    durationMs: 30,
    links: [
      { traceId: order, spanId: charge.spanId, traceState: 'vendor=1', attributes: { 'link.reason': 'invoice for this charge', 'messaging.batch.index': 1 } },
      { traceId: unstored, spanId: hexId('1e', 16) },
    ],
  }
  return { order, batch, unstored, orderRoot, charge, invoices, spans: [orderRoot, charge, invoices] }
}

const missing = chromiumMissing()
if (missing) {
  t.comment(missing)
  t.pass('skipped: ' + missing)
} else {
  await run()
}

async function run() {
  t.setTimeout(300_000)
  const data = traces(Date.now() - 60_000)
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(data.spans))
  const { page, pageErrors } = await openTestPage(t)
  const base = running.baseUrl

  await t.test("a span's links show their attributes and tracestate", async (t) => {
    await page.goto(`${base}/trace/${data.batch}?span=${data.invoices.spanId}`)
    const links = page.locator('[data-testid=span-links] > li')
    await links.first().waitFor()
    t.equal(await links.count(), 2)
    const first = await links.nth(0).innerText()
    t.match(first, `${data.order.slice(0, 16)}… / ${data.charge.spanId}`, 'where it points')
    t.match(first, /tracestate vendor=1/)
    t.match(first, /link\.reason\s+invoice for this charge/, 'its attributes')
    t.match(first, /messaging\.batch\.index\s+1/)
    t.match(await links.nth(1).innerText(), /no attributes/)
    await links.nth(0).locator('a').click()
    await page.waitForURL(`${base}/trace/${data.order}?span=${data.charge.spanId}`)
    t.pass('the link opens the linked span')
  })

  await t.test('a trace lists the spans of other traces that link to it', async (t) => {
    await page.goto(`${base}/trace/${data.order}`)
    const header = page.locator('[data-testid=trace-linked-from]')
    await header.waitFor()
    t.match(await header.locator('summary').innerText(), /Linked from 1 span in 1 other trace/)
    await header.locator('summary').click()
    t.match(await header.locator('li').innerText(), /billing: process invoices .* → payments: charge/)
    await header.locator('button:has-text("payments: charge")').click()
    await page.waitForURL(new RegExp(`span=${data.charge.spanId}`))
    const from = page.locator('[data-testid=span-linked-from] > li')
    await from.first().waitFor()
    t.match(
      await from.first().innerText(),
      /billing: process invoices[\s\S]*link\.reason\s+invoice for this charge/,
      "the charge span's details list the link with its attributes",
    )
    await page.click('[data-testid=span-linked-from] a:has-text("billing: process invoices")')
    await page.waitForURL(`${base}/trace/${data.batch}?span=${data.invoices.spanId}`)
    t.pass('and open the linking span')

    await page.goto(`${base}/trace/${data.order}?span=${data.orderRoot.spanId}`)
    await page.locator('[data-testid=span-details]').waitFor()
    await header.waitFor()
    t.equal(await page.locator('[data-testid=span-linked-from]').count(), 0, 'a span nobody links to has no "Linked from"')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
