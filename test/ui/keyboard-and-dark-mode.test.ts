// The keyboard and the dark theme in a real browser against a real collector: `/` focuses the
// page's search, `?` lists the shortcuts and Esc closes the list, j/k and the arrows walk the
// spans of a trace, ← and → collapse, expand and walk the tree, Enter opens a span and Esc closes
// it, + - 0 zoom the time axis; keys typed into a field stay text. The theme follows the system's
// prefers-color-scheme until the toggle picks one, which a reload remembers.
import t from 'tap'
import type { Page } from 'playwright-core'
import { chromiumMissing, openTestPage, screenshotDir } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'
import { join } from 'node:path'

t.test('keyboard shortcuts and the dark theme', { skip: chromiumMissing() }, async (t) => {
  const t0 = Date.now() - 60_000
  const traceId = hexId('c7', 32)
  const root: TestSpan = { traceId, spanId: hexId('c7', 16), service: 'frontend', name: 'GET /home', kind: 'SERVER', startMs: t0, durationMs: 400 }
  const a: TestSpan = {
    traceId,
    spanId: hexId('c7', 16),
    parentSpanId: root.spanId,
    service: 'api',
    name: 'load profile',
    startMs: t0 + 10,
    durationMs: 200,
    attributes: { 'user.tier': 'gold' },
  }
  const a1: TestSpan = { traceId, spanId: hexId('c7', 16), parentSpanId: a.spanId, service: 'db', name: 'SELECT profile', startMs: t0 + 20, durationMs: 100 }
  const b: TestSpan = { traceId, spanId: hexId('c7', 16), parentSpanId: root.spanId, service: 'api', name: 'load feed', startMs: t0 + 250, durationMs: 100 }
  const running = await startCollectorWithData(null, { metrics: false })
  t.teardown(() => running.close())
  await postOtlp(running.collector.ports.otlpHttp, '/v1/traces', tracesBody([root, a, a1, b]))
  const { page, pageErrors } = await openTestPage(t)
  const base = running.baseUrl
  const selectedSpan = (p: Page) => new URL(p.url()).searchParams.get('span')
  const waitSelected = (id: string | null) => page.waitForFunction((id) => new URL(location.href).searchParams.get('span') === id, id)

  await t.test('the trace page walks its spans by keyboard', async (t) => {
    await page.goto(`${base}/trace/${traceId}`)
    await page.locator(`.wf-row[data-span-id="${b.spanId}"]`).waitFor()
    await page.keyboard.press('j')
    await waitSelected(root.spanId)
    await page.keyboard.press('j')
    await waitSelected(a.spanId)
    await page.keyboard.press('k')
    await waitSelected(root.spanId)
    await page.keyboard.press('ArrowDown')
    await waitSelected(a.spanId)
    t.pass('j/k and ↓ move through the rows in order')
    await page.locator('[data-testid=span-attributes]', { hasText: 'gold' }).waitFor()
    t.pass("the selected span's details are shown with its attributes")

    await page.keyboard.press('ArrowLeft')
    await page.locator(`.wf-row[data-span-id="${a1.spanId}"]`).waitFor({ state: 'detached' })
    t.ok(await page.locator(`.wf-row[data-span-id="${a.spanId}"] .wf-hidden`).isVisible(), '← collapses the selected span (its child row goes, "+1" shows)')
    await page.keyboard.press('ArrowRight')
    await page.locator(`.wf-row[data-span-id="${a1.spanId}"]`).waitFor()
    t.pass('→ expands it again')
    await page.keyboard.press('l')
    await waitSelected(a1.spanId)
    await page.keyboard.press('h')
    await waitSelected(a.spanId)
    t.pass('l goes to the first child, h back to the parent')

    await page.keyboard.press('Escape')
    await waitSelected(null)
    await page.locator('.state-empty', { hasText: 'Select a span' }).waitFor()
    t.pass('Esc closes the span details')
    await page.keyboard.press('Enter')
    await waitSelected(root.spanId)
    await page.locator('[data-testid=span-details]').waitFor()
    t.pass('Enter opens the first span when none is selected')

    const rootBarWidth = () =>
      page.locator(`.wf-row[data-span-id="${root.spanId}"] [data-testid=span-bar]`).evaluate((e) => parseFloat((e as HTMLElement).style.width))
    t.equal(Math.round(await rootBarWidth()), 100, 'the root fills the time axis')
    await page.keyboard.press('+')
    await page.waitForFunction(
      (id) => parseFloat((document.querySelector(`.wf-row[data-span-id="${id}"] [data-testid=span-bar]`) as HTMLElement).style.width) > 150,
      root.spanId,
    )
    t.pass('+ zooms the time axis in')
    await page.keyboard.press('0')
    await page.waitForFunction(
      (id) => Math.round(parseFloat((document.querySelector(`.wf-row[data-span-id="${id}"] [data-testid=span-bar]`) as HTMLElement).style.width)) === 100,
      root.spanId,
    )
    t.pass('0 shows the whole trace again')

    await page.keyboard.press('/')
    t.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name), 'find', '/ focuses find in the trace')
    await page.keyboard.type('jk')
    t.equal(await page.inputValue('input[name=find]'), 'jk', 'keys typed into the field are text')
    t.equal(selectedSpan(page), root.spanId, 'and do not move the selection')
    await page.keyboard.press('Escape')
    t.not(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name), 'find', 'Esc leaves the field')
    t.equal(selectedSpan(page), root.spanId, 'without closing the span')
  })

  await t.test('? lists the shortcuts, Esc closes the list', async (t) => {
    await page.keyboard.press('?')
    const help = page.locator('[data-testid=shortcuts-help]')
    await help.waitFor()
    const text = await help.innerText()
    for (const what of ['Focus search', 'Next span', 'Previous span', "Open the selected span's details", 'Zoom'])
      t.match(text, what, `the list names "${what}"`)
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'detached' })
    t.equal(selectedSpan(page), root.spanId, 'closing the list leaves the selected span open')
    await page.keyboard.press('?')
    await help.waitFor()
    await page.keyboard.press('?')
    await help.waitFor({ state: 'detached' })
    t.pass('? toggles it')
  })

  await t.test('/ focuses the search form on the search page', async (t) => {
    await page.goto(`${base}/search`)
    await page.locator('select[name=service]').waitFor()
    await page.locator('body').click({ position: { x: 5, y: 300 } })
    await page.keyboard.press('/')
    t.equal(await page.evaluate(() => (document.activeElement as HTMLSelectElement | null)?.name), 'service', 'the service field has the focus')
  })

  await t.test('the theme follows the system until the toggle picks one, and a reload remembers it', async (t) => {
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme)
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor)
    const toggle = page.locator('[data-testid=theme-toggle]')
    await page.emulateMedia({ colorScheme: 'light' })
    await page.goto(`${base}/trace/${traceId}`)
    await page.locator('.wf-row').first().waitFor()
    t.equal(await theme(), 'light', 'a light system: light')
    const lightBackground = await background()
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark')
    t.not(await background(), lightBackground, 'the system turning dark turns the page dark at once')
    t.match(await toggle.innerText(), /Auto \(dark\)/, 'the toggle says it follows the system')
    await page.screenshot({ path: join(screenshotDir(), 'trace-dark.png') })

    await toggle.click() // auto → dark
    await toggle.click() // dark → light
    t.equal(await theme(), 'light', 'the toggle picks light on a dark system')
    t.match(await toggle.innerText(), /Light/)
    await page.reload()
    await page.locator('.wf-row').first().waitFor()
    t.equal(await theme(), 'light', 'a reload remembers the choice')
    t.equal(await page.evaluate(() => localStorage.getItem('tracecar.theme')), 'light', 'kept in localStorage')
    await toggle.click() // light → auto
    t.equal(await theme(), 'dark', 'back to auto follows the dark system again')
    t.equal(await page.evaluate(() => localStorage.getItem('tracecar.theme')), null, 'and forgets the choice')
    await page.emulateMedia({ colorScheme: 'light' })
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
})
