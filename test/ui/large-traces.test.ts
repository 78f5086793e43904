// Large traces in a real browser against a real collector and its SQLite store: the trace page
// reads the compact encoding (columns, strings once, no attributes), shows its first rows, scrolls
// through 10,000 and 100,000 spans drawing the rows in view, fetches an opened span's attributes
// on their own, and finds spans by attribute value through the collector. The timings are printed
// (the machine is shared, so they are figures to read, not assertions); what is asserted is what a
// user sees.
import t from 'tap'
import type { Page } from 'playwright-core'
import { chromiumMissing, openTestPage } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'

/** `count` spans as a `fanOut`-ary tree, each child inside its parent's time; span i carries `marker[<i>]`. */
function bigTrace(prefix: string, count: number, fanOut: number, t0: number) {
  const traceId = hexId(prefix, 32)
  const spans: TestSpan[] = []
  for (let i = 0; i < count; i++) {
    const parent = i === 0 ? undefined : spans[Math.floor((i - 1) / fanOut)]!
    const slot = (i - 1) % fanOut
    spans.push({
      traceId,
      spanId: hexId(prefix, 16),
      parentSpanId: parent?.spanId,
      service: ['api', 'db', 'cache', 'queue'][i % 4]!,
      name: `op ${i}`,
      kind: 'INTERNAL',
      startMs: parent ? parent.startMs + (parent.durationMs / fanOut) * slot : t0,
      durationMs: parent ? parent.durationMs / fanOut : 5_000,
      attributes: { index: i, note: `marker[${i}]`, 'http.route': `/items/{id}/part-${i % 50}` },
    })
  }
  return { traceId, spans }
}

interface Opened {
  firstRowMs: number
  /** the resource type of each request for the compact trace */
  compactRequests: string[]
  inPage:
    | {
        fetchMs: number
        bytes: number
        untilRowsMs: number
        /** when the bundle started to run and the compact answer had arrived, from navigation */
        appStartMs: number
        responseEndMs: number
        firstRowAtMs: number
        /** the start of the frame that paints the first rows (the animation frame after they are in the DOM) */
        firstRowFrameMs: number | undefined
        /** the page's own measures (decode, model, critical path), by name */
        measuresMs: Record<string, number>
        /** when the whole trace's decode started and its model was built */
        decodeStartMs: number
        modelEndMs: number
      }
    | undefined
}

/** Opens the trace page and measures, in the page's own clock, the compact fetch and the first row. */
async function openTrace(page: Page, base: string, traceId: string): Promise<Opened> {
  await page.addInitScript(() => {
    const seen = new MutationObserver(() => {
      if (document.querySelector('.wf-row') === null) return
      const w = window as unknown as { firstRowAtMs?: number; firstRowFrameMs?: number }
      w.firstRowAtMs = performance.now()
      requestAnimationFrame(() => (w.firstRowFrameMs = performance.now()))
      seen.disconnect()
    })
    document.addEventListener('DOMContentLoaded', () => seen.observe(document.body, { childList: true, subtree: true }))
  })
  const compactRequests: string[] = []
  page.on('request', (r) => {
    if (r.url().endsWith(`/api/traces/${traceId}/compact`)) compactRequests.push(r.resourceType())
  })
  const started = Date.now()
  await page.goto(`${base}/trace/${traceId}`)
  // Waited for by a poll in the page's own script, not a locator: a locator's first use injects
  // Playwright's selector engine into the page (20-50 ms of its main thread on this machine), which
  // then ran while the page drew its rows, and no user's browser runs it.
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        // No named helper: the test runner's transform would name it with a function the page lacks.
        const deadline = performance.now() + 60_000
        const timer = setInterval(() => {
          const drawn = (window as unknown as { firstRowFrameMs?: number }).firstRowFrameMs !== undefined
          if (!drawn && performance.now() < deadline) return
          clearInterval(timer)
          if (drawn) resolve()
          else reject(new Error('no waterfall row was drawn within 60 s'))
        }, 20)
      }),
  )
  const firstRowMs = Date.now() - started
  const inPage = await page.evaluate((traceId) => {
    const call = performance.getEntriesByType('resource').find((e) => e.name.endsWith(`/api/traces/${traceId}/compact`)) as
      PerformanceResourceTiming | undefined
    const firstRowAtMs = (window as unknown as { firstRowAtMs?: number }).firstRowAtMs
    if (call === undefined || firstRowAtMs === undefined) return undefined
    const measuresMs: Record<string, number> = {}
    let decodeStartMs = NaN
    let modelEndMs = NaN
    for (const m of performance.getEntriesByType('measure')) {
      if (m.name.startsWith('tracecar: ')) measuresMs[m.name.slice(10)] = m.duration
      if (m.name === 'tracecar: decode trace') decodeStartMs = m.startTime
      if (m.name === 'tracecar: build trace model') modelEndMs = m.startTime + m.duration
    }
    return {
      fetchMs: call.responseEnd - call.startTime,
      bytes: call.encodedBodySize,
      untilRowsMs: firstRowAtMs - call.responseEnd,
      appStartMs: performance.getEntriesByName('tracecar: app start')[0]?.startTime ?? NaN,
      responseEndMs: call.responseEnd,
      firstRowAtMs,
      firstRowFrameMs: (window as unknown as { firstRowFrameMs?: number }).firstRowFrameMs,
      measuresMs,
      decodeStartMs,
      modelEndMs,
    }
  }, traceId)
  return { firstRowMs, inPage, compactRequests }
}

/** 60 scroll steps of 400 px, one per animation frame: the frame times and the renderer's own work per step. */
async function scrollThrough(page: Page) {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  const metric = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics')
    const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0
    return { task: get('TaskDuration'), script: get('ScriptDuration') }
  }
  const before = await metric()
  const scroll = await page.evaluate(async () => {
    const body = document.querySelector('[data-testid=waterfall-body]') as HTMLElement
    const frames: number[] = []
    // Chromium's long animation frames: a frame whose own work (script, style, layout, paint on the
    // page's main thread) took over 50 ms. A long interval between frames without one is the machine
    // (another process had the CPU), not the page.
    const longFrames: number[] = []
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longFrames.push(e.duration)
    })
    observer.observe({ type: 'long-animation-frame' })
    const shown = new Set<string>()
    let last = performance.now()
    for (let i = 0; i < 60; i++) {
      body.scrollTop += 400
      await new Promise((r) => requestAnimationFrame(r))
      const now = performance.now()
      frames.push(now - last)
      last = now
      for (const row of document.querySelectorAll('.wf-row')) shown.add(row.getAttribute('data-span-id') ?? '')
    }
    for (const e of observer.takeRecords()) longFrames.push(e.duration)
    observer.disconnect()
    const sorted = [...frames].sort((a, b) => a - b)
    return {
      longFrames,
      p50: sorted[30]!,
      worst: sorted[sorted.length - 1]!,
      over50: frames.filter((f) => f > 50).length,
      distinctRows: shown.size,
      domRows: document.querySelectorAll('.wf-row').length,
    }
  })
  const after = await metric()
  await cdp.detach()
  return { ...scroll, taskPerStepMs: ((after.task - before.task) * 1000) / 60, scriptPerStepMs: ((after.script - before.script) * 1000) / 60 }
}

t.test('large traces: compact encoding, first rows, scrolling, attributes on demand', { skip: chromiumMissing() }, async (t) => {
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  const base = running.baseUrl
  const t0 = Date.now() - 60_000
  const traces = [
    { label: '10,000', ...bigTrace('e1', 10_000, 4, t0) },
    { label: '100,000', ...bigTrace('e2', 100_000, 10, t0 + 10_000) },
  ]
  for (const trace of traces) {
    for (let i = 0; i < trace.spans.length; i += 5000) {
      await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody(trace.spans.slice(i, i + 5000)))
    }
  }
  const { browser, pageErrors } = await openTestPage(t)

  for (const trace of traces) {
    await t.test(`a ${trace.label}-span trace`, async (t) => {
      const jsonBytes = (await (await fetch(`${base}/api/traces/${trace.traceId}`)).arrayBuffer()).byteLength
      const compact = (await (await fetch(`${base}/api/traces/${trace.traceId}/compact`)).json()) as Record<string, unknown>
      t.equal((compact.spanId as string[]).length, trace.spans.length, 'the compact answer has every span')
      t.notOk(JSON.stringify(compact).includes('marker['), 'and none of their attributes')

      const page = await browser.context.newPage()
      page.setDefaultTimeout(60_000)
      page.on('pageerror', (e) => pageErrors.push(e.message))
      const opened = await openTrace(page, base, trace.traceId)
      const p = opened.inPage
      const ms = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(0))
      t.comment(
        // The page's clock counts from navigation start; Playwright's figure adds its own polling of
        // the page and any long task after the rows are drawn.
        `${trace.label} spans: first rows painted ${ms(p?.firstRowFrameMs)} ms after navigation (Playwright saw them after ${opened.firstRowMs} ms); ` +
          `in the page's clock: the bundle runs at ${ms(p?.appStartMs)} ms, ` +
          `the compact answer (fetched in ${ms(p?.fetchMs)} ms, ${((p?.bytes ?? 0) / 1e6).toFixed(2)} MB; the JSON route: ${(jsonBytes / 1e6).toFixed(2)} MB) ends at ${ms(p?.responseEndMs)} ms, ` +
          `first row in the DOM at ${ms(p?.firstRowAtMs)} ms; then the whole trace: decode ${ms(p?.measuresMs['decode trace'])} ms, ` +
          `model ${ms(p?.measuresMs['build trace model'])} ms (every row ready at ${ms(p?.modelEndMs)} ms), critical path ${ms(p?.measuresMs['mark critical path'])} ms`,
      )
      t.ok((p?.firstRowAtMs ?? Infinity) < (p?.decodeStartMs ?? -Infinity), 'the first rows are drawn before the whole trace is decoded')
      t.match(await page.locator('.trace-facts').innerText(), new RegExp(`Spans ${trace.spans.length}`), 'the header counts every span')
      t.ok((opened.inPage?.bytes ?? Infinity) < jsonBytes / 3, 'the page reads the compact answer, not the JSON one')
      t.same(opened.compactRequests, ['other'], "once: the page's fetch is answered by the preload its HTML asked for")

      // The minimap draws every row merged into its pixel rows: the root, first, covers the whole width.
      const painted = await page.evaluate(() => {
        const canvas = document.querySelector('[data-testid=minimap] canvas') as HTMLCanvasElement
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        // No named helper here: the test runner's transform would name it with a function the page lacks.
        const shares = [0, canvas.height - 1].map((y) => {
          let n = 0
          for (let x = 0; x < canvas.width; x++) if (data[(y * canvas.width + x) * 4 + 3]! > 0) n++
          return n / canvas.width
        })
        return { top: shares[0]!, bottom: shares[1]! }
      })
      t.ok(painted.top > 0.95, `the minimap's top pixel row is the root across the trace (${(painted.top * 100).toFixed(0)}% painted)`)
      t.ok(painted.bottom > 0, `and its bottom row shows the last spans (${(painted.bottom * 100).toFixed(1)}% painted)`)

      const scroll = await scrollThrough(page)
      t.comment(
        `${trace.label} spans, 60 scroll steps of 400 px: frame median ${scroll.p50.toFixed(1)} ms, worst ${scroll.worst.toFixed(1)} ms, ` +
          `${scroll.over50} over 50 ms (${scroll.longFrames.length} long animation frames: frames whose own work took over 50 ms${scroll.longFrames.length ? `, ${scroll.longFrames.map((d) => d.toFixed(0)).join(', ')} ms` : ''}); renderer work per step ${scroll.taskPerStepMs.toFixed(1)} ms (script ${scroll.scriptPerStepMs.toFixed(1)} ms); ` +
          `${scroll.distinctRows} different rows drawn, ${scroll.domRows} in the DOM at a time`,
      )
      t.ok(scroll.distinctRows > 500, `scrolling draws the rows scrolled to (${scroll.distinctRows} different rows)`)
      t.ok(scroll.domRows < 150, `only the rows in view are in the DOM (${scroll.domRows})`)

      // The last row, at the bottom (depth first, the last child of the last child...): it is drawn,
      // and opening it fetches its attributes.
      let last = trace.spans[0]!
      for (;;) {
        const children = trace.spans.filter((s) => s.parentSpanId === last.spanId)
        if (!children.length) break
        last = children[children.length - 1]!
      }
      await page.evaluate(() => {
        const body = document.querySelector('[data-testid=waterfall-body]') as HTMLElement
        body.scrollTop = body.scrollHeight
      })
      const row = page.locator(`.wf-row[data-span-id="${last.spanId}"]`)
      await row.waitFor()
      t.match(await row.innerText(), last.name, "scrolled to the bottom, the last span's row is drawn")
      const spanRequest = page.waitForRequest((r) => r.url().endsWith(`/api/traces/${trace.traceId}/spans/${last.spanId}`))
      await row.click()
      await spanRequest
      await page.locator('[data-testid=span-attributes]').waitFor()
      t.match(
        await page.locator('[data-testid=span-attributes]').innerText(),
        `marker[${last.name.slice(3)}]`,
        'the opened span shows the attributes fetched for it',
      )

      // Find by an attribute value: the collector finds it, the page counts and selects it.
      const target = trace.spans[777]!
      await page.fill('input[name=find]', 'MARKER[777]')
      await page.locator('[data-testid=find-count]', { hasText: /^1 match/ }).waitFor()
      await page.press('input[name=find]', 'Enter')
      await page.waitForURL(new RegExp(`span=${target.spanId}`))
      await page.locator('.wf-row.selected', { hasText: 'op 777' }).waitFor()
      t.pass('find matches an attribute value the page never loaded and jumps to its span')
      await page.close()
    })
  }
  t.same(pageErrors, [], 'no uncaught errors in the page')
})
