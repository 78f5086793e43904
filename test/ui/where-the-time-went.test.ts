// "Where did the time go" on the trace page, in a real browser against a real collector: self
// time in the waterfall and the span details, the trace's statistics by service and operation,
// the critical path drawn as segments, and an exception event shown as an exception.
import { join } from 'node:path'
import t from 'tap'
import { chromiumMissing, openTestPage, screenshotDir } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'

const STACK = 'OutOfStockError: sku-42: 0 left\n    at reserve (/srv/stock/reserve.js:12:11)\n    at handle (/srv/stock/server.js:40:5)'

/**
 * GET /order (300ms) asks pricing (which reads the db and, beside it, a cache) and then stock; in
 * between frontend works on its own for 90ms. Self times: frontend GET /order 110, its client
 * spans 10 each, pricing 20, db 70, cache 20, stock 80.
 */
function orderTrace(t0: number) {
  const traceId = hexId('ee', 32)
  const root: TestSpan = { traceId, spanId: hexId('e1', 16), service: 'frontend', name: 'GET /order', kind: 'SERVER', startMs: t0, durationMs: 300 }
  const priceCall: TestSpan = {
    traceId,
    spanId: hexId('e2', 16),
    parentSpanId: root.spanId,
    service: 'frontend',
    name: 'GET /price',
    kind: 'CLIENT',
    startMs: t0 + 10,
    durationMs: 100,
  }
  const pricing: TestSpan = {
    traceId,
    spanId: hexId('e3', 16),
    parentSpanId: priceCall.spanId,
    service: 'pricing',
    name: 'GET /price',
    kind: 'SERVER',
    startMs: t0 + 15,
    durationMs: 90,
  }
  const db: TestSpan = {
    traceId,
    spanId: hexId('e4', 16),
    parentSpanId: pricing.spanId,
    service: 'db',
    name: 'SELECT prices',
    kind: 'CLIENT',
    startMs: t0 + 20,
    durationMs: 70,
  }
  const cache: TestSpan = {
    traceId,
    spanId: hexId('e5', 16),
    parentSpanId: pricing.spanId,
    service: 'pricing',
    name: 'cache lookup',
    kind: 'INTERNAL',
    startMs: t0 + 20,
    durationMs: 20,
  }
  const reserveCall: TestSpan = {
    traceId,
    spanId: hexId('e6', 16),
    parentSpanId: root.spanId,
    service: 'frontend',
    name: 'POST /reserve',
    kind: 'CLIENT',
    startMs: t0 + 200,
    durationMs: 90,
  }
  const stock: TestSpan = {
    traceId,
    spanId: hexId('e7', 16),
    parentSpanId: reserveCall.spanId,
    service: 'stock',
    name: 'POST /reserve',
    kind: 'SERVER',
    startMs: t0 + 205,
    durationMs: 80,
    error: 'out of stock',
    events: [
      { name: 'first byte', atMs: t0 + 206 },
      {
        name: 'exception',
        atMs: t0 + 270,
        attributes: {
          'exception.type': 'OutOfStockError',
          'exception.message': 'sku-42: 0 left <b>now</b>',
          'exception.stacktrace': STACK,
          'exception.escaped': false,
        },
      },
    ],
  }
  return { traceId, root, priceCall, pricing, db, cache, reserveCall, stock, spans: [root, priceCall, pricing, db, cache, reserveCall, stock] }
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
  const order = orderTrace(Date.now() - 60_000)
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(order.spans))
  const { page, pageErrors } = await openTestPage(t)
  const base = running.baseUrl
  const shots = screenshotDir()
  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) })
  const rowOf = (spanId: string) => page.locator(`.wf-row[data-span-id="${spanId}"]`)

  await t.test("each span's self time is in the waterfall and in its details", async (t) => {
    await page.goto(`${base}/trace/${order.traceId}`)
    await rowOf(order.root.spanId).waitFor()
    t.equal(await page.locator('.wf-self-head').innerText(), 'Self', 'the waterfall has a self-time column')
    t.equal(await rowOf(order.root.spanId).locator('.wf-self').innerText(), '110ms', 'the root: 300ms minus the 190ms its calls cover')
    t.equal(await rowOf(order.pricing.spanId).locator('.wf-self').innerText(), '20.0ms', 'pricing: db and the cache beside it are covered once')
    t.equal(await rowOf(order.db.spanId).locator('.wf-self').innerText(), '70.0ms', 'a leaf: all of its time')
    t.match(
      await rowOf(order.pricing.spanId).locator('[data-testid=span-bar]').getAttribute('title'),
      /90\.0ms, self 20\.0ms/,
      'hovering a bar names duration and self time',
    )

    await rowOf(order.root.spanId).click()
    await page.locator('[data-testid=self-time]').waitFor()
    t.match(await page.locator('[data-testid=self-time]').innerText(), /^110ms \(37%\)/, 'the span details give the self time and its share of the span')
  })

  await t.test('the critical path is drawn as the segments in which each span held up the trace', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}`)
    await rowOf(order.root.spanId).locator('[data-testid=critical-segment]').first().waitFor()
    // Each segment as [start, end] in ms from the span's start, read from where it is drawn on the bar.
    const drawn = async (s: TestSpan) => {
      const bar = (await rowOf(s.spanId).locator('[data-testid=span-bar]').boundingBox())!
      const boxes = await rowOf(s.spanId)
        .locator('[data-testid=critical-segment]')
        .evaluateAll((els) =>
          els.map((e) => {
            const r = e.getBoundingClientRect()
            return [r.x, r.width]
          }),
        )
      return boxes.map(([x, w]) => [Math.round(((x! - bar.x) / bar.width) * s.durationMs), Math.round(((x! + w! - bar.x) / bar.width) * s.durationMs)])
    }
    t.same(
      await drawn(order.root),
      [
        [0, 10],
        [110, 200],
        [290, 300],
      ],
      'the root: before its first call, its own 90ms between the calls, after the last',
    )
    t.same(
      await drawn(order.priceCall),
      [
        [0, 5],
        [95, 100],
      ],
      'a client span only around the server span it waited for',
    )
    t.same(
      await drawn(order.pricing),
      [
        [0, 5],
        [75, 90],
      ],
      'pricing: around the db read',
    )
    t.same(await drawn(order.db), [[0, 70]], 'the db read, all of it')
    t.same(await drawn(order.stock), [[0, 80]], 'the stock reservation, all of it')
    t.same(await drawn(order.cache), [], 'the cache lookup ran beside the db read and held nothing up')
    t.notMatch(await rowOf(order.cache.spanId).locator('[data-testid=span-bar]').getAttribute('class'), /critical/)
    await shot('critical-path-segments')
  })

  await t.test('the statistics view groups the trace by service and by operation, sortable, in the URL', async (t) => {
    await page.click('.segmented button:has-text("Statistics")')
    await page.waitForURL(/view=stats/)
    await page.locator('[data-testid=trace-stats] tbody tr').first().waitFor()
    const rows = async () => (await page.locator('[data-testid=trace-stats] tbody tr').allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()))
    t.same(
      await rows(),
      [
        ['frontend', '3', '490ms', '130ms', '43%'],
        ['stock', '1', '80.0ms', '80.0ms', '27%'],
        ['db', '1', '70.0ms', '70.0ms', '23%'],
        ['pricing', '2', '110ms', '40.0ms', '13%'],
      ],
      'by service, biggest self time first: count, total, self, self as a share of the 300ms trace',
    )

    await page.click('[data-testid=trace-stats] th button:has-text("Spans")')
    await page.waitForURL(/sort=-count/)
    t.same(
      (await rows()).map((r) => r[0]),
      ['frontend', 'pricing', 'db', 'stock'],
      'sorted by span count, ties by name',
    )
    await page.click('[data-testid=trace-stats] th button:has-text("Spans")')
    await page.waitForURL(/sort=count/)
    t.same(
      (await rows()).map((r) => r[0]),
      ['db', 'stock', 'pricing', 'frontend'],
      'a second click reverses the order',
    )

    await page.click('[data-testid=trace-stats] button:has-text("By operation")')
    await page.waitForURL(/group=operation/)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=trace-stats] tbody tr').length === 7)
    await page.click('[data-testid=trace-stats] th button:has-text("Self")')
    await page.waitForURL((u) => !u.search.includes('sort='))
    const byOp = await rows()
    t.same(byOp[0], ['frontend GET /order', '1', '300ms', '110ms', '37%'], 'by operation: the root did most of the work itself')
    await shot('trace-statistics')
    t.same(
      byOp.map((r) => r[0]).filter((n) => n.endsWith('GET /price')),
      ['pricing GET /price', 'frontend GET /price'],
      'the same name in two services is two rows',
    )

    await page.reload()
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=trace-stats] tbody tr').length === 7)
    t.same((await rows())[0]![0], 'frontend GET /order', 'a reload keeps the view, grouping and sort (they are in the URL)')
    await page.click('.segmented button:has-text("Waterfall")')
    await rowOf(order.root.spanId).waitFor()
    t.notMatch(page.url(), /view=/, 'back to the waterfall')
  })

  await t.test('an exception event shows as an exception, not as a timing phase', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}?span=${order.stock.spanId}`)
    const exception = page.locator('[data-testid=exception]')
    await exception.waitFor()
    t.match(await exception.innerText(), /^OutOfStockError\s+sku-42: 0 left <b>now<\/b>\s+at \+65\.0ms/, 'type, message (as text) and when')
    const stack = exception.locator('[data-testid=stacktrace]')
    t.equal(await stack.innerText(), STACK, 'the stack trace keeps its line breaks')
    t.match(await stack.evaluate((e) => getComputedStyle(e).fontFamily), /mono/i, 'in a monospace font')
    t.match(await exception.innerText(), /exception\.escaped\s+false/, 'other attributes of the event are listed with it')
    const timing = await page.locator('[data-testid=timing-breakdown]').innerText()
    t.match(timing, /first byte/, 'the timing events are still phases')
    t.notMatch(timing, /exception/, 'but the exception is not one of them')
    t.equal(await rowOf(order.stock.spanId).locator('.wf-event.exception').count(), 1, 'the waterfall marks the exception on the bar')
    await shot('exception')
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
