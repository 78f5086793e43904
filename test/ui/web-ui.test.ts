// The web UI in a real browser against a real collector: search and filter, open a trace, the
// waterfall's nesting and geometry, span details, logs, metrics, deep links and the back
// button, a 10,000-span trace, and markup in span data staying text.
import { join } from 'node:path'
import t from 'tap'
import type { BrowserContext, Page } from 'playwright-core'
import { chromiumMissing, launchBrowser, screenshotDir } from './browser.ts'
import { startCollectorWithData, type RunningCollector } from './collector-with-data.ts'
import { buildFixture, type Fixture } from './ui-fixture.ts'
import { postOtlp, tracesBody } from './otlp-json.ts'

const missing = chromiumMissing()
if (missing) {
  t.comment(missing)
  t.pass('skipped: ' + missing)
} else {
  await run()
}

async function run() {
  // A real browser on a shared machine: allow more than tap's default per-file timeout.
  t.setTimeout(600_000)
  const shots = screenshotDir()
  t.comment(`screenshots: ${shots}`)

  const fixture: Fixture = buildFixture()
  const running: RunningCollector = await startCollectorWithData(fixture, { metrics: true })
  t.teardown(() => running.close())
  const browser = await launchBrowser()
  t.teardown(() => browser.close())
  const context: BrowserContext = browser.context
  const base = running.baseUrl
  const dialogs: string[] = []
  const pageErrors: string[] = []

  const newPage = async (): Promise<Page> => {
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    page.on('dialog', (d) => {
      dialogs.push(d.message())
      void d.dismiss()
    })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    return page
  }
  const shot = async (page: Page, name: string) => {
    const path = join(shots, `${name}.png`)
    await page.screenshot({ path })
    t.comment(`screenshot ${path}`)
  }
  const rowOf = (page: Page, spanId: string) => page.locator(`.wf-row[data-span-id="${spanId}"]`)
  const { checkout } = fixture

  const page = await newPage()

  await t.test('search lists the traces and filters them', async (t) => {
    await page.goto(`${base}/search`)
    await page.locator('.trace-row').first().waitFor()
    t.equal(await page.locator('.trace-row').count(), 4, 'all four traces in the last hour')
    // uPlot creates its canvas in an effect after the container renders: wait for it, do not race it
    await page.locator('[data-testid=scatter] canvas').first().waitFor()
    t.ok(await page.locator('[data-testid=scatter] canvas').count(), 'the duration scatter is drawn')
    await shot(page, 'search-all')

    await page.selectOption('select[name=service]', 'payments')
    await page.click('button:has-text("Find traces")')
    await page.waitForURL(/service=payments/)
    await t.resolves(page.locator('.trace-row').first().waitFor())
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    t.match(await page.locator('.trace-row').first().innerText(), /frontend.*GET \/checkout/s, 'the trace through payments, shown by its root')

    await page.selectOption('select[name=service]', '')
    await page.fill('input[name=minDuration]', '100ms')
    await page.fill('input[name=attrs]', 'payment.provider=acme')
    await page.check('input[name=error]')
    await page.click('button:has-text("Find traces")')
    await page.waitForURL(/attr=payment.provider%3Dacme/)
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    t.match(await page.locator('.trace-row').innerText(), /500ms/, 'duration, attribute and error filters keep the checkout trace')

    await page.goto(`${base}/search?tracestate=${encodeURIComponent('tracecar=run-ui1')}`)
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    t.match(await page.locator('.trace-row').innerText(), /GET \/health/, "a tracestate link (a tracecar load run) finds only that run's trace")
    t.equal(await page.inputValue('input[name=tracestate]'), 'tracecar=run-ui1', 'the form shows the tracestate filter')
    await page.goBack()
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)

    await page.fill('input[name=minDuration]', '10s')
    await page.click('button:has-text("Find traces")')
    await page.locator('.state-empty').waitFor()
    t.match(await page.locator('.state-empty').innerText(), /No traces match.*Widen the time range/s, 'the empty state says what to do')

    await page.fill('input[name=minDuration]', 'soon')
    await page.click('button:has-text("Find traces")')
    t.match(await page.locator('.form-problem').innerText(), /not a duration/, 'a bad duration is named before searching')
    await page.goBack()
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
    t.equal(await page.inputValue('input[name=minDuration]'), '100ms', 'back restores the previous search and its form')

    // The scatter has one point now: its time axis fits the results, so it sits in the middle,
    // at 1/11 from the top (the y scale runs to 1.1 × the longest). Hover it, then click it.
    await page.locator('[data-testid=scatter] .u-over').waitFor()
    const over = (await page.locator('[data-testid=scatter] .u-over').boundingBox())!
    const point = { x: over.x + over.width / 2, y: over.y + over.height * (1 - 1 / 1.1) }
    await page.mouse.move(point.x, point.y)
    await page.locator('[data-testid=scatter-tooltip]').waitFor()
    t.match(await page.locator('[data-testid=scatter-tooltip]').innerText(), /frontend: GET \/checkout\s+500ms/, 'hovering a point names its trace')
    await page.mouse.click(point.x, point.y)
    await page.waitForURL(new RegExp(`/trace/${checkout.traceId}`))
    t.pass('clicking the point opens its trace')
    await page.goBack()
    await page.waitForFunction(() => document.querySelectorAll('.trace-row').length === 1)
  })

  await t.test('a trace opens with nested, correctly placed spans', async (t) => {
    await page.locator('.trace-row a').first().click()
    await page.waitForURL(new RegExp(`/trace/${checkout.traceId}`))
    await page.locator('.wf-row').first().waitFor()
    const ids = await page
      .locator('.wf-row')
      .evaluateAll((rows) => rows.map((r) => [(r as HTMLElement).dataset.spanId, Number((r as HTMLElement).dataset.depth)]))
    t.same(
      ids,
      [
        [checkout.root.spanId, 0],
        [checkout.cartClient.spanId, 1],
        [checkout.cartServer.spanId, 2],
        [checkout.pay.spanId, 3],
        [checkout.audit.spanId, 3],
        [checkout.stock.spanId, 1],
      ],
      'parents before children, siblings by start time, depth by parent',
    )

    const nameX = async (id: string) => (await rowOf(page, id).locator('.wf-svc').boundingBox())!.x
    t.ok((await nameX(checkout.cartClient.spanId)) > (await nameX(checkout.root.spanId)), 'a child is indented under its parent')
    t.ok((await nameX(checkout.pay.spanId)) > (await nameX(checkout.cartServer.spanId)), 'a grandchild is indented further')
    t.equal(await nameX(checkout.stock.spanId), await nameX(checkout.cartClient.spanId), 'siblings line up')

    const bar = async (id: string) => (await rowOf(page, id).locator('[data-testid=span-bar]').boundingBox())!
    const rootBar = await bar(checkout.root.spanId)
    for (const s of [checkout.cartClient, checkout.cartServer, checkout.pay, checkout.audit, checkout.stock]) {
      const b = await bar(s.spanId)
      const left = (b.x - rootBar.x) / rootBar.width
      const width = b.width / rootBar.width
      t.ok(
        Math.abs(left - (s.startMs - checkout.root.startMs) / 500) < 0.01,
        `${s.name} (${s.service}) starts at ${s.startMs - checkout.root.startMs}ms of 500ms (bar at ${(left * 100).toFixed(1)}%)`,
      )
      t.ok(Math.abs(width - s.durationMs / 500) < 0.01, `${s.name} (${s.service}) lasts ${s.durationMs}ms of 500ms (bar ${(width * 100).toFixed(1)}% wide)`)
    }
    t.match(await rowOf(page, checkout.pay.spanId).getAttribute('class'), /\berror\b/, 'the failed span stands out')
    t.match(await page.locator('[data-testid=error-origin]').innerText(), /starts at payments: POST \/pay/, 'the header names where the error starts')
    t.match(
      await rowOf(page, checkout.pay.spanId).locator('[data-testid=span-bar]').getAttribute('class'),
      /critical/,
      'the slow payment is on the critical path',
    )
    t.match(
      await rowOf(page, checkout.stock.spanId).locator('[data-testid=span-bar]').getAttribute('class'),
      /critical/,
      'so is the stock check the root waited for last',
    )
    t.notMatch(
      await rowOf(page, checkout.audit.spanId).locator('[data-testid=span-bar]').getAttribute('class'),
      /critical/,
      'the audit write running beside the payment is not',
    )

    await rowOf(page, checkout.cartClient.spanId).locator('.wf-toggle').click()
    t.equal(await page.locator('.wf-row').count(), 3, 'collapsing POST /cart hides its three descendants')
    t.match(await rowOf(page, checkout.cartClient.spanId).innerText(), /\+3/, 'the collapsed row says how many it hides')
    await rowOf(page, checkout.cartClient.spanId).locator('.wf-toggle').click()
    t.equal(await page.locator('.wf-row').count(), 6, 'expanding shows them again')

    // Drag across the minimap from 20% to 60% of the trace: the time axis zooms to 100ms-300ms.
    const mm = (await page.locator('[data-testid=minimap]').boundingBox())!
    await page.mouse.move(mm.x + mm.width * 0.2, mm.y + mm.height / 2)
    await page.mouse.down()
    await page.mouse.move(mm.x + mm.width * 0.4, mm.y + mm.height / 2, { steps: 4 })
    await page.mouse.move(mm.x + mm.width * 0.6, mm.y + mm.height / 2, { steps: 4 })
    await page.mouse.up()
    await page.locator('button:has-text("reset zoom")').waitFor()
    const ticks = (await page.locator('.wf-tick-label').allInnerTexts()).map((l) => parseFloat(l))
    t.ok(
      [100, 150, 200, 250, 300].every((want, i) => Math.abs(ticks[i]! - want) <= 2),
      `the time axis shows the zoomed window, 100ms to 300ms (${ticks.join(', ')})`,
    )
    const payBar = (await rowOf(page, checkout.pay.spanId).locator('[data-testid=span-bar]').boundingBox())!
    const lane = (await page.locator('.wf-lane-head').boundingBox())!
    t.ok(Math.abs(payBar.x - lane.x) < 2, 'POST /pay (from 100ms) now starts at the left edge of the lane')
    await page.click('button:has-text("reset zoom")')
    t.same((await page.locator('.wf-tick-label').allInnerTexts())[0], '0ms', 'reset zoom shows the whole trace again')

    const laneX = async () => (await rowOf(page, checkout.root.spanId).locator('.wf-lane').boundingBox())!.x
    const before = await laneX()
    const handle = (await page.locator('[data-testid=name-resize]').boundingBox())!
    await page.mouse.move(handle.x + 4, handle.y + 5)
    await page.mouse.down()
    await page.mouse.move(handle.x + 104, handle.y + 5, { steps: 5 })
    await page.mouse.up()
    t.ok(Math.abs((await laneX()) - before - 100) < 3, "dragging the name column's edge widens it")
  })

  await t.test('selecting a span shows its attributes, timing, logs and metrics', async (t) => {
    await rowOf(page, checkout.pay.spanId).click()
    await page.waitForURL(new RegExp(`span=${checkout.pay.spanId}`))
    const details = page.locator('[data-testid=span-details]')
    await details.waitFor()
    t.match(await details.innerText(), /POST \/pay/, 'the span name')
    t.match(await details.innerText(), /ERROR: card processor timed out/, 'the error status and message')
    const attrs = await page.locator('[data-testid=span-attributes]').innerText()
    t.match(attrs, /payment\.provider\s+acme/, 'its attributes')
    t.match(attrs, /http\.response\.status_code\s+502/, 'numeric attributes too')
    await shot(page, 'trace-span-details')

    await rowOf(page, checkout.root.spanId).click()
    await page.locator('[data-testid=timing-breakdown]').waitFor()
    t.match(
      await page.locator('[data-testid=timing-breakdown]').innerText(),
      /first byte\s+\+490ms\s+488ms/,
      'events as a timing breakdown (until first byte: at +490ms, took 488ms)',
    )
    const docs = page.locator('[data-testid=span-attributes] a')
    t.equal(await docs.getAttribute('href'), 'https://example.com/runbook', 'an http(s) attribute value is a link')

    await rowOf(page, checkout.pay.spanId).click()
    await page.click('.tabs button:has-text("Logs")')
    await page.waitForURL(/tab=logs/)
    await page.locator('[data-testid=log-list]').waitFor()
    let logs = await page.locator('.log-row').allInnerTexts()
    t.equal(logs.length, 2, 'the selected span has two logs')
    t.match(logs[0], /WARN.*card processor slow/s, 'in time order with their level')
    t.match(logs[1], /ERROR.*card processor timed out/s)
    await page.click('button:has-text("Newest first")')
    await page.waitForFunction(() => /ERROR/.test(document.querySelector('.log-row')?.textContent ?? ''))
    logs = await page.locator('.log-row').allInnerTexts()
    t.match(logs[0], /ERROR/, 'newest first puts the error on top')
    await page.click('button:has-text("Whole trace")')
    await page.waitForFunction(() => document.querySelectorAll('.log-row').length === 4)
    t.match((await page.locator('.log-row').allInnerTexts()).join('\n'), /cart saved items=3/, 'the whole trace adds the checkout log')
    await page.locator('.level-chip:has-text("WARN") input').uncheck()
    t.equal(await page.locator('.log-row').count(), 3, 'a level can be hidden')
    await shot(page, 'trace-logs')

    await page.click('.tabs button:has-text("Metrics")')
    await page.locator('[data-testid=metrics-charts]').waitFor()
    t.match(await page.locator('[data-testid=metrics-panel]').innerText(), /payments.*±30 min/s, "the selected span's service around the trace")
    await page.locator('[data-testid=metrics-charts] canvas').nth(2).waitFor()
    t.equal(await page.locator('[data-testid=metrics-charts] canvas').count(), 3, 'rate, error rate and p50/p99 charts')
    await shot(page, 'trace-metrics')
  })

  await t.test('a deep link opens the trace on the span and tab it names', async (t) => {
    const deep = await newPage()
    await deep.goto(`${base}/trace/${checkout.traceId}?span=${checkout.cartServer.spanId}&tab=logs`)
    await deep.locator('[data-testid=log-list]').waitFor()
    t.equal(await rowOf(deep, checkout.cartServer.spanId).getAttribute('aria-selected'), 'true', 'the linked span is selected')
    t.match(await deep.locator('[data-testid=log-list]').innerText(), /cart saved items=3/, 'and its logs are shown')
    await deep.goto(`${base}/trace/${checkout.traceId}?span=${checkout.stock.spanId}&tab=logs`)
    await deep.locator('[data-testid=log-list]').waitFor()
    t.match(
      await deep.locator('[data-testid=log-list]').innerText(),
      /by service and time.*GET \/stock HTTP\/1\.1/s,
      'an access log with the trace id only is matched to the span by service and time, and says so',
    )
    t.equal(await deep.locator('.log-row').count(), 1, 'and no other log is')
    await deep.goto(`${base}/trace/${'f'.repeat(32)}`)
    await deep.locator('.state-empty').waitFor()
    t.match(await deep.locator('.state-empty').innerText(), /was not found.*reload in a moment/s, 'an unknown trace says why and what to do')
    await deep.fill('input[name=traceId]', checkout.traceId.toUpperCase())
    await deep.press('input[name=traceId]', 'Enter')
    await rowOf(deep, checkout.root.spanId).waitFor()
    t.pass('a pasted trace id (any case) opens the trace')
    await deep.goBack()
    await deep.locator('.state-empty').waitFor()
    t.match(deep.url(), /ffffffff/, 'the back button returns to the previous page')
    await deep.close()
  })

  await t.test('a 10,000-span trace opens quickly and renders only what is visible', async (t) => {
    const big = await newPage()
    // The page's own clock: when the first waterfall row appears (the API call's times come
    // from the browser's resource timing), so the UI carries no hook for this measurement.
    await big.addInitScript(() => {
      const seen = new MutationObserver(() => {
        if (document.querySelector('.wf-row') === null) return
        ;(window as unknown as { firstRowAtMs?: number }).firstRowAtMs = performance.now()
        seen.disconnect()
      })
      document.addEventListener('DOMContentLoaded', () => seen.observe(document.body, { childList: true, subtree: true }))
    })
    const started = Date.now()
    await big.goto(`${base}/trace/${fixture.big.traceId}`)
    await big.locator('.wf-row').first().waitFor({ timeout: 60_000 })
    const openMs = Date.now() - started
    const inPage = await big.evaluate((traceId) => {
      const call = performance.getEntriesByType('resource').find((e) => e.name.endsWith(`/api/traces/${traceId}/compact`)) as
        PerformanceResourceTiming | undefined
      const firstRowAtMs = (window as unknown as { firstRowAtMs?: number }).firstRowAtMs
      if (call === undefined || firstRowAtMs === undefined) return undefined
      return { fetchMs: call.responseEnd - call.startTime, modelMs: firstRowAtMs - call.responseEnd }
    }, fixture.big.traceId)
    t.comment(
      `10,000-span trace: first rows visible ${openMs} ms after navigation (in the page: API fetch ${inPage?.fetchMs.toFixed(0)} ms, tree + critical path + first rows ${inPage?.modelMs.toFixed(0)} ms)`,
    )
    t.ok(openMs < 30_000, 'opens within a generous sanity bound')
    t.match(await big.locator('.trace-facts').innerText(), /Spans 10000/)
    const rendered = await big.locator('.wf-row').count()
    t.ok(rendered < 150, `only the visible rows are in the DOM (${rendered})`)

    // Wall-clock frame times depend on the machine's load; the renderer's own task, script and
    // layout time (from the DevTools protocol) says what the page itself costs per scroll step.
    const cdp = await context.newCDPSession(big)
    await cdp.send('Performance.enable')
    const metric = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics')
      const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
      return { task: get('TaskDuration'), script: get('ScriptDuration'), layout: get('LayoutDuration') + get('RecalcStyleDuration') }
    }
    const before = await metric()
    const scroll = await big.evaluate(async () => {
      const body = document.querySelector('[data-testid=waterfall-body]') as HTMLElement
      const frames: number[] = []
      let last = performance.now()
      for (let i = 0; i < 60; i++) {
        body.scrollTop += 400
        await new Promise((r) => requestAnimationFrame(r))
        const now = performance.now()
        frames.push(now - last)
        last = now
      }
      body.scrollTop = body.scrollHeight
      await new Promise((r) => setTimeout(r, 200))
      frames.sort((a, b) => a - b)
      return { p50: frames[30], max: frames[frames.length - 1], rows: document.querySelectorAll('.wf-row').length }
    })
    const after = await metric()
    const per = (k: 'task' | 'script' | 'layout') => (((after[k] - before[k]) * 1000) / 61).toFixed(1)
    t.comment(
      `scrolling 60 steps of 400px: wall-clock frame median ${scroll.p50?.toFixed(1)} ms, worst ${scroll.max?.toFixed(1)} ms; ` +
        `renderer work per step ${per('task')} ms (script ${per('script')} ms, style+layout ${per('layout')} ms); ${scroll.rows} rows in the DOM`,
    )
    await big.locator(`.wf-row:has-text("${fixture.big.lastSpanName}")`).waitFor()
    t.pass(`scrolled to the bottom: the last span (${fixture.big.lastSpanName}) is rendered`)
    await shot(big, 'trace-10k-bottom')

    const mm = (await big.locator('[data-testid=minimap]').boundingBox())!
    await big.mouse.click(mm.x + mm.width / 2, mm.y + mm.height / 2)
    await big.waitForFunction(() => {
      const body = document.querySelector('[data-testid=waterfall-body]') as HTMLElement
      const middleRow = (body.scrollTop + body.clientHeight / 2) / 24
      return Math.abs(middleRow - 5000) < 200
    })
    t.pass('clicking the middle of the minimap scrolls the waterfall to the middle of the trace')

    await big.fill('input[name=find]', 'op 9999')
    t.match(await big.locator('[data-testid=find-count]').innerText(), /^1 match/, 'find in the trace counts the matches')
    await big.press('input[name=find]', 'Enter')
    await big.locator('.wf-row.selected:has-text("op 9999")').waitFor()
    t.pass('Enter selects the match and scrolls the virtualised list to it')
    t.match(await big.locator('[data-testid=span-details]').innerText(), /op 9999/, 'and shows its details')
    await big.close()
  })

  await t.test('markup and script URLs in span data render as text and run nothing', async (t) => {
    const evil = await newPage()
    await evil.goto(`${base}/trace/${fixture.xss.traceId}?span=${fixture.xss.spanId}`)
    await evil.locator('[data-testid=span-attributes]').waitFor()
    t.match(await rowOf(evil, fixture.xss.spanId).innerText(), /<img src=x onerror=/, 'the span name is shown as text')
    const attrs = await evil.locator('[data-testid=span-attributes]').innerText()
    t.match(attrs, /evil\.html\s+<img src=x onerror=/)
    t.match(attrs, /evil\.script\s+<script>window\.__xss/)
    t.match(attrs, /evil\.url\s+javascript:window\.__xss/)
    t.equal(await evil.locator('[data-testid=span-attributes] a').count(), 0, 'a javascript: value is not a link')
    await evil.click('.tabs button:has-text("Logs")')
    await evil.locator('[data-testid=log-list]').waitFor()
    t.match(await evil.locator('[data-testid=log-list]').innerText(), /<script>window\.__xss.*<img src=x/s, 'a log body with markup is text')
    await evil.goto(`${base}/search?service=evil-svc`)
    await evil.locator('.trace-row').first().waitFor()
    t.match(await evil.locator('.trace-row').innerText(), /<img src=x onerror=/, 'the search list shows it as text too')
    await evil.waitForTimeout(300)
    t.equal(await evil.locator('#app img, #app script').count(), 0, 'no element was created from span data')
    t.equal(await evil.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, 'no injected script ran')
    t.same(dialogs, [], 'no dialog opened')
    await shot(evil, 'xss-as-text')
    await evil.close()
  })

  await t.test('services, service map and alerts pages', async (t) => {
    const p = await newPage()
    await p.goto(`${base}/services`)
    await p.locator('[data-testid=services-table]').waitFor()
    const table = await p.locator('[data-testid=services-table]').innerText()
    t.match(table, /payments\s+POST \/pay/, 'each service and operation')
    t.match(table, /100%/, "payments' error share")
    await shot(p, 'services')
    await p.locator('[data-testid=services-table] tr:has-text("POST /pay") a:has-text("Traces")').click()
    await p.waitForURL(/\/search\?service=payments&operation=POST/)
    t.pass('a row clicks through to search')

    await p.goto(`${base}/map?lookback=1h`)
    await p.locator('[data-testid=service-map]').waitFor()
    const map = await p.locator('[data-testid=service-map]').innerHTML()
    for (const s of ['frontend', 'checkout', 'payments', 'inventory']) t.match(map, new RegExp(`>${s}<`), `${s} is on the map`)
    t.match(map, /checkout → payments: 1 calls, 1 errors/, 'edges carry calls and errors')
    await shot(p, 'service-map')

    await p.goto(`${base}/alerts`)
    await p.locator('[data-testid=alerts-table]').waitFor()
    const rows = await p.locator('[data-testid=alerts-table] tbody tr').allInnerTexts()
    t.equal(rows.length, 3, 'every rule is listed')
    t.match(rows[0], /firing\s+payments-errors\s+error rate > 5%/i, 'the firing rule comes first, with what it measures')
    t.match(rows[0], /100%/, 'and its current value')
    t.match(rows.join('\n'), /pending\s+frontend-traffic-dropped/i, 'a rule waiting out its "for" is pending')
    t.match(rows.join('\n'), /inactive\s+checkout-slow\s+p99 duration > 10s/i, 'a quiet rule is inactive')
    await shot(p, 'alerts')
    await p.locator('[data-testid=alerts-table] tr:has-text("payments-errors") a.example').first().click()
    await p.waitForURL(new RegExp(`/trace/${checkout.traceId}`))
    await rowOf(p, checkout.pay.spanId).waitFor()
    t.pass('an example trace link opens the failing trace')
    await p.close()
  })

  await t.test('without the metrics part, the UI says so instead of failing', async (t) => {
    const bare = await startCollectorWithData(null, { metrics: false })
    t.teardown(() => bare.close())
    await postOtlp(bare.collector.ports.otlpHttp, '/v1/traces', tracesBody(fixture.spans))
    const p = await newPage()
    await p.goto(`${bare.baseUrl}/trace/${checkout.traceId}?tab=metrics`)
    await p.locator('[data-testid=metrics-panel] .state-empty').waitFor()
    t.match(await p.locator('[data-testid=metrics-panel]').innerText(), /No metrics yet.*answered 404/s, 'the metrics tab says there are no metrics yet')
    await shot(p, 'no-metrics')
    await p.goto(`${bare.baseUrl}/services`)
    await p.locator('[data-testid=services-table]').waitFor()
    t.match(await p.locator('.notice').innerText(), /not available/, 'the services page explains the missing rates')
    t.match(await p.locator('[data-testid=services-table]').innerText(), /checkout/, 'and still lists the services')

    await p.goto(`${bare.baseUrl}/search?limit=abc`)
    await p.locator('.state-error').waitFor()
    t.match(
      await p.locator('.state-error').innerText(),
      /The search failed.*limit="abc" must be a whole number.*Fix the field/s,
      "a rejected search shows the collector's reason and what to do",
    )

    // The same URL the form will produce: pressing "Find traces" must search again, not no-op.
    await p.goto(`${bare.baseUrl}/search?lookback=1h`)
    await p.locator('.trace-row').first().waitFor()
    const closing = Date.now()
    await bare.close()
    t.comment(`collector closed in ${Date.now() - closing} ms`)
    await p.click('button:has-text("Find traces")')
    await p.locator('.state-error').waitFor()
    t.match(
      await p.locator('.state-error').innerText(),
      /Cannot reach the collector.*check that the collector is running/is,
      'a collector that went away is named as the problem',
    )
    await shot(p, 'collector-down')
    await p.close()
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
