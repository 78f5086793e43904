// The trace's flame graph in a real browser against a real collector: a view beside the waterfall
// and the statistics (view=flame in the URL), each span a bar at its time and depth in its
// service's colour, failing spans outlined in red, hover names the span, click selects it and
// shows its details, double-click zooms; a 10,000-span trace and a 3,000-deep chain draw on one
// canvas with no element per span.
import { join } from 'node:path'
import t from 'tap'
import { serviceColor } from '../../src/ui/lib/service-colors.ts'
import { chromiumMissing, openTestPage, screenshotDir } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'
import { buildFixture } from './ui-fixture.ts'

const ROW = 22

/** GET /order (300ms): a price lookup (pricing, which reads the db) and a stock reservation that fails. */
function orderTrace(t0: number) {
  const traceId = hexId('f0', 32)
  const root: TestSpan = { traceId, spanId: hexId('f1', 16), service: 'frontend', name: 'GET /order', kind: 'SERVER', startMs: t0, durationMs: 300 }
  const priceCall: TestSpan = {
    traceId,
    spanId: hexId('f2', 16),
    parentSpanId: root.spanId,
    service: 'frontend',
    name: 'GET /price',
    kind: 'CLIENT',
    startMs: t0 + 10,
    durationMs: 100,
  }
  const pricing: TestSpan = {
    traceId,
    spanId: hexId('f3', 16),
    parentSpanId: priceCall.spanId,
    service: 'pricing',
    name: 'GET /price',
    kind: 'SERVER',
    startMs: t0 + 15,
    durationMs: 90,
  }
  const db: TestSpan = {
    traceId,
    spanId: hexId('f4', 16),
    parentSpanId: pricing.spanId,
    service: 'db',
    name: 'SELECT prices',
    kind: 'CLIENT',
    startMs: t0 + 20,
    durationMs: 70,
  }
  const reserveCall: TestSpan = {
    traceId,
    spanId: hexId('f5', 16),
    parentSpanId: root.spanId,
    service: 'frontend',
    name: 'POST /reserve',
    kind: 'CLIENT',
    startMs: t0 + 200,
    durationMs: 90,
  }
  const stock: TestSpan = {
    traceId,
    spanId: hexId('f6', 16),
    parentSpanId: reserveCall.spanId,
    service: 'stock',
    name: 'POST /reserve',
    kind: 'SERVER',
    startMs: t0 + 205,
    durationMs: 80,
    error: 'out of stock',
  }
  return { traceId, t0, root, priceCall, pricing, db, reserveCall, stock, spans: [root, priceCall, pricing, db, reserveCall, stock] }
}

/** A chain 3,000 spans deep, each inside its parent. */
function deepChain(t0: number) {
  const traceId = hexId('f9', 32)
  const spans: TestSpan[] = []
  for (let i = 0; i < 3000; i++) {
    spans.push({
      traceId,
      spanId: hexId('f9', 16),
      parentSpanId: spans[i - 1]?.spanId,
      service: ['api', 'db'][i % 2]!,
      name: `level ${i}`,
      kind: 'INTERNAL',
      startMs: t0 + i * 0.01,
      durationMs: 100 - i * 0.02,
    })
  }
  return { traceId, spans }
}

function rgb(hex: string): number[] {
  const v = parseInt(hex.slice(1), 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}

const missing = chromiumMissing()
if (missing) {
  t.comment(missing)
  t.pass('skipped: ' + missing)
} else {
  await run()
}

async function run() {
  t.setTimeout(400_000)
  const order = orderTrace(Date.now() - 60_000)
  const chain = deepChain(Date.now() - 50_000)
  const big = buildFixture()
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  const port = running.collector.ports.otlpHttp
  await postOtlp(port, '/v1/traces', tracesBody(order.spans))
  await postOtlp(port, '/v1/traces', tracesBody(chain.spans))
  for (let i = 0; i < big.bigSpans.length; i += 2500) await postOtlp(port, '/v1/traces', tracesBody(big.bigSpans.slice(i, i + 2500)))

  const { browser, page, pageErrors } = await openTestPage(t)
  const base = running.baseUrl
  const shots = screenshotDir()
  const canvas = page.locator('[data-testid=flame-canvas]')
  const drawn = () => page.locator('[data-testid=flame-canvas][data-drawn-bars]').waitFor()

  /** The colour drawn at a point of the canvas (CSS pixels from its top left), as [r, g, b, a]. */
  const pixel = (x: number, y: number) =>
    canvas.evaluate(
      (c: HTMLCanvasElement, [x, y]) => {
        const dpr = c.width / c.clientWidth
        return [...c.getContext('2d')!.getImageData(Math.floor(x! * dpr), Math.floor(y! * dpr), 1, 1).data]
      },
      [x, y],
    )
  /** Waits until the pixel has the colour (the drawing follows a state change by a frame). */
  const waitForPixel = async (x: number, y: number, want: number[]) => {
    await page.waitForFunction(
      ([x, y, want]) => {
        const c = document.querySelector('[data-testid=flame-canvas]') as HTMLCanvasElement
        const dpr = c.width / c.clientWidth
        const got = c.getContext('2d')!.getImageData(Math.floor((x as number) * dpr), Math.floor((y as number) * dpr), 1, 1).data
        return (want as number[]).every((v, i) => Math.abs(v - got[i]!) <= 2)
      },
      [x, y, want] as const,
      { polling: 'raf' },
    )
  }
  /** Where a span of the order trace is drawn (CSS pixels in the canvas), given its depth. */
  const bar = async (s: TestSpan, depth: number) => {
    const box = (await canvas.boundingBox())!
    const x0 = ((s.startMs - order.t0) / order.root.durationMs) * box.width
    const x1 = ((s.startMs + s.durationMs - order.t0) / order.root.durationMs) * box.width
    const y0 = depth * ROW + 1
    return { box, x0, x1, y0, y1: y0 + ROW - 2, midX: (x0 + x1) / 2, midY: y0 + (ROW - 2) / 2 }
  }

  await t.test('the flame graph is a view of the trace beside the waterfall and the statistics, in the URL', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}`)
    await page.locator('.wf-row').first().waitFor()
    await page.click('.segmented button:has-text("Flame graph")')
    await page.waitForURL(/view=flame/)
    await drawn()
    t.equal(await page.locator('.wf-row').count(), 0, 'the waterfall gives way to the flame graph')
    t.equal(await canvas.getAttribute('data-drawn-bars'), '6', 'every span is a bar')
    await page.reload()
    await drawn()
    t.pass('a reload keeps the flame graph (the view is in the URL)')
    await page.click('.segmented button:has-text("Statistics")')
    await page.waitForURL(/view=stats/)
    await page.locator('[data-testid=trace-stats]').waitFor()
    await page.click('.segmented button:has-text("Flame graph")')
    await drawn()
    await page.click('.segmented button:has-text("Waterfall")')
    await page.locator('.wf-row').first().waitFor()
    t.notMatch(page.url(), /view=/, 'and back to the waterfall')
  })

  await t.test('each span is a bar at its time and depth, in its service colour; a failing span is outlined in red', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}?view=flame`)
    await drawn()
    const root = await bar(order.root, 0)
    t.same((await pixel(root.box.width - 3, root.y0 + 2)).slice(0, 3), rgb(serviceColor('frontend')), 'the root fills the top row to the end of the trace')
    const pricing = await bar(order.pricing, 2)
    t.same((await pixel(pricing.x1 - 3, pricing.y0 + 2)).slice(0, 3), rgb(serviceColor('pricing')), 'pricing: third row, in its colour')
    t.equal((await pixel(pricing.x1 + 3, pricing.midY))[3], 0, 'nothing right after pricing ends')
    const db = await bar(order.db, 3)
    t.same((await pixel(db.x0 + 10, db.y1 - 2)).slice(0, 3), rgb(serviceColor('db')), 'db below it, from its start')
    t.equal((await pixel(db.x0 - 3, db.midY))[3], 0, 'nothing before the db read starts')
    const stock = await bar(order.stock, 2)
    t.same((await pixel(Math.floor(stock.x0) + 1, stock.midY)).slice(0, 3), rgb('#d62728'), 'the failing stock span has a red outline')
    t.same((await pixel(stock.x1 - 8, stock.y0 + 4)).slice(0, 3), rgb(serviceColor('stock')), 'and is still in its service colour inside')
    await page.screenshot({ path: join(shots, 'flame-graph.png') })
  })

  await t.test('hovering a bar names the span; clicking selects it and shows its details', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}?view=flame`)
    await drawn()
    const pricing = await bar(order.pricing, 2)
    await page.mouse.move(pricing.box.x + pricing.midX, pricing.box.y + pricing.midY)
    const tip = page.locator('[data-testid=flame-tooltip]')
    await tip.waitFor()
    t.match(await tip.innerText(), /pricing: GET \/price\s+90\.0ms, self 20\.0ms/, 'service: operation, duration and self time')

    const stock = await bar(order.stock, 2)
    t.equal((await pixel(stock.midX, stock.y0 - 1))[3], 0, 'no outline above the stock span before it is selected')
    await page.mouse.click(stock.box.x + stock.midX, stock.box.y + stock.midY)
    await page.waitForURL(new RegExp(`span=${order.stock.spanId}`))
    const details = page.locator('[data-testid=span-details]')
    await details.waitFor()
    t.match(await details.innerText(), /POST \/reserve[\s\S]*Service\s+stock[\s\S]*ERROR: out of stock/, 'the span details open as in the waterfall')
    await waitForPixel(stock.midX, stock.y0 - 1, [...rgb('#1e40af'), 255])
    t.pass('the selected span is outlined')
    t.match(page.url(), /view=flame/, 'the view stays the flame graph')
  })

  await t.test('double-click zooms the time axis to a span; reset zoom returns', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}?view=flame`)
    await drawn()
    const db = await bar(order.db, 3)
    await page.mouse.dblclick(db.box.x + db.midX, db.box.y + db.midY)
    await page.locator('[data-testid=flame-zoom]:has-text("reset zoom")').waitFor()
    t.match(await page.locator('[data-testid=flame-zoom]').innerText(), /20\.0ms – 90\.0ms/, 'the zoomed window is the db read')
    await waitForPixel(db.box.width - 3, db.y0 + 2, [...rgb(serviceColor('db')), 255])
    t.pass('the db read now spans the whole width')
    await page.click('[data-testid=flame-zoom] button:has-text("reset zoom")')
    await waitForPixel(db.box.width - 3, db.y0 + 2, [0, 0, 0, 0])
    t.pass('reset zoom shows the whole trace again')
  })

  await t.test('finding spans dims the others', async (t) => {
    await page.goto(`${base}/trace/${order.traceId}?view=flame`)
    await drawn()
    const pricing = await bar(order.pricing, 2)
    const db = await bar(order.db, 3)
    await page.fill('input[name=find]', 'SELECT')
    await waitForPixel(db.x0 + 10, db.y1 - 2, [...rgb(serviceColor('db')), 255])
    const dimmed = await pixel(pricing.x1 - 3, pricing.y0 + 2)
    t.ok(dimmed[3]! < 128, `a span that does not match is faint (alpha ${dimmed[3]})`)
  })

  await t.test('a 10,000-span trace draws on one canvas, with no element per span', async (t) => {
    const p = await browser.context.newPage()
    p.setDefaultTimeout(60_000)
    p.on('pageerror', (e) => pageErrors.push(e.message))
    await p.goto(`${base}/trace/${big.big.traceId}?view=flame`)
    await p.locator('[data-testid=flame-canvas][data-drawn-bars]').waitFor()
    const elements = await p.locator('[data-testid=flame-graph] *').count()
    t.ok(elements < 60, `the flame graph is ${elements} elements for 10,000 spans`)
    t.match(await p.locator('.flame-toolbar').innerText(), /10000 spans, 8 deep/)

    // Renderer work (from the DevTools protocol, not wall-clock) of zooming in: reported, not asserted.
    const cdp = await browser.context.newCDPSession(p)
    await cdp.send('Performance.enable')
    const taskSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0
    const box = (await p.locator('[data-testid=flame-canvas]').boundingBox())!
    const before = await taskSeconds()
    // The root's first child, at depth 1: zoom to it, then select a deep span inside it.
    await p.mouse.dblclick(box.x + 5, box.y + ROW + ROW / 2)
    await p.locator('[data-testid=flame-zoom]:has-text("reset zoom")').waitFor()
    t.comment(`10,000 spans: renderer work for a double-click (a selection and a zoom, drawn again) ${(((await taskSeconds()) - before) * 1000).toFixed(1)} ms`)
    await p.mouse.click(box.x + 2, box.y + 6 * ROW + ROW / 2)
    await p.waitForURL(/span=/)
    await p.locator('[data-testid=span-details]').waitFor()
    t.match(await p.locator('[data-testid=span-details]').innerText(), /op \d+/, 'a span six levels down is selected and shown')
    await p.screenshot({ path: join(shots, 'flame-graph-10k.png') })
    await p.close()
  })

  await t.test('a 3,000-deep chain scrolls: only the depths in view are drawn', async (t) => {
    const p = await browser.context.newPage()
    p.setDefaultTimeout(60_000)
    p.on('pageerror', (e) => pageErrors.push(e.message))
    await p.goto(`${base}/trace/${chain.traceId}?view=flame`)
    await p.locator('[data-testid=flame-canvas][data-drawn-bars]').waitFor()
    const shown = Number(await p.locator('[data-testid=flame-canvas]').getAttribute('data-drawn-bars'))
    t.ok(shown > 5 && shown < 100, `the rows in view are drawn (${shown} of 3000)`)
    await p.locator('[data-testid=flame-scroll]').evaluate((el) => {
      el.scrollTop = el.scrollHeight
    })
    const box = (await p.locator('[data-testid=flame-canvas]').boundingBox())!
    await p.mouse.move(box.x + box.width / 2, box.y + box.height - ROW / 2)
    await p.locator('[data-testid=flame-tooltip]:has-text("level 2999")').waitFor()
    t.pass('scrolled to the bottom, the deepest span is under the pointer')
    await p.close()
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
