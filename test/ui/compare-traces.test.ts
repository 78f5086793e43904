// Comparing two traces in a real browser against a real collector: "Compare with…" on the trace
// page offers the other traces of the same operation (or takes a pasted id) and opens
// /compare/<A>/<B>, which lists per service and operation the span count and self time in each
// trace and the difference, the biggest first.
import { join } from 'node:path'
import t from 'tap'
import { chromiumMissing, openTestPage, screenshotDir } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'

/** GET /order twice: A in 100ms; in B the db read takes 260ms, is retried, and a cache call appears. */
function traces(t0: number) {
  const a = hexId('a7', 32)
  const b = hexId('b7', 32)
  const c = hexId('c7', 32)
  const ra = hexId('a7', 16)
  const rb = hexId('b7', 16)
  const spans: TestSpan[] = [
    { traceId: a, spanId: ra, service: 'frontend', name: 'GET /order', kind: 'SERVER', startMs: t0, durationMs: 100 },
    { traceId: a, spanId: hexId('a7', 16), parentSpanId: ra, service: 'db', name: 'SELECT', kind: 'CLIENT', startMs: t0 + 20, durationMs: 60 },
    { traceId: b, spanId: rb, service: 'frontend', name: 'GET /order', kind: 'SERVER', startMs: t0 + 1000, durationMs: 330 },
    { traceId: b, spanId: hexId('b7', 16), parentSpanId: rb, service: 'db', name: 'SELECT', kind: 'CLIENT', startMs: t0 + 1020, durationMs: 260 },
    { traceId: b, spanId: hexId('b7', 16), parentSpanId: rb, service: 'db', name: 'SELECT', kind: 'CLIENT', startMs: t0 + 1285, durationMs: 15 },
    { traceId: b, spanId: hexId('b7', 16), parentSpanId: rb, service: 'cache', name: 'GET', kind: 'CLIENT', startMs: t0 + 1305, durationMs: 5 },
    { traceId: c, spanId: hexId('c7', 16), service: 'frontend', name: 'GET /health', kind: 'SERVER', startMs: t0 + 2000, durationMs: 3 },
  ]
  return { a, b, c, spans }
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
  const shots = screenshotDir()
  const rows = async () => (await page.locator('[data-testid=compare-table] tbody tr').allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()))

  await t.test('"Compare with…" offers the other traces of the same operation and opens the comparison', async (t) => {
    await page.goto(`${base}/trace/${data.a}`)
    await page.click('summary:has-text("Compare with…")')
    const choices = page.locator('[data-testid=compare-choices] a')
    await choices.first().waitFor()
    await page.screenshot({ path: join(shots, 'compare-picker.png') })
    t.equal(await choices.count(), 1, 'only the other GET /order trace (not this one, not GET /health)')
    t.match(await choices.first().innerText(), new RegExp(`^${data.b.slice(0, 8)}\\s+330ms\\s+slower`), 'with its duration, and slower than this one')
    await choices.first().click()
    await page.waitForURL(`${base}/compare/${data.a}/${data.b}`)
    await page.locator('[data-testid=compare-table] tbody tr').first().waitFor()
    t.same(
      await rows(),
      [
        ['db SELECT', '1', '2', '60.0ms', '275ms', '+215ms'],
        ['frontend GET /order', '1', '1', '40.0ms', '50.0ms', '+10.0ms'],
        ['cache GET', '0', '1', '0ms', '5.00ms', '+5.00ms'],
      ],
      'per service and operation: spans and self time in each, the biggest difference first',
    )
    t.match(await page.locator('[data-testid=compare-summary]').innerText(), /B took \+230ms more than A/)
    t.match(await page.locator('[data-testid=compare-trace-A]').innerText(), /frontend: GET \/order[\s\S]*100ms · 2 spans/)
    t.equal(await page.locator('.notice').count(), 0, 'same operation: no warning')
    await page.screenshot({ path: join(shots, 'compare-traces.png') })
  })

  await t.test('swapping A and B reverses the differences', async (t) => {
    await page.click('a:has-text("Swap A and B")')
    await page.waitForURL(`${base}/compare/${data.b}/${data.a}`)
    await page.waitForFunction(() => document.querySelector('[data-testid=compare-table] tbody tr td:last-child')?.textContent === '−215ms')
    t.same((await rows())[0], ['db SELECT', '2', '1', '275ms', '60.0ms', '−215ms'])
  })

  await t.test('a pasted trace id is compared too, with a warning when its operation differs', async (t) => {
    await page.goto(`${base}/trace/${data.b}`)
    await page.click('summary:has-text("Compare with…")')
    await page.fill('input[name=compareWith]', 'nonsense')
    await page.press('input[name=compareWith]', 'Enter')
    await page.locator('[data-testid=compare-picker] [role=alert]').waitFor()
    t.pass('an id that is not one is refused where it was typed')
    await page.fill('input[name=compareWith]', data.c.toUpperCase())
    await page.press('input[name=compareWith]', 'Enter')
    await page.waitForURL(`${base}/compare/${data.b}/${data.c}`)
    await page.locator('.notice').waitFor()
    t.match(await page.locator('.notice').innerText(), /different operations \(frontend: GET \/order and frontend: GET \/health\)/)
  })

  await t.test('a trace that is not stored is named', async (t) => {
    const unknown = 'f'.repeat(32)
    await page.goto(`${base}/compare/${data.a}/${unknown}`)
    await page.locator('.state-empty').waitFor()
    t.match(await page.locator('.state-empty').innerText(), new RegExp(`Trace B \\(${unknown}\\) was not found`))
  })

  t.same(pageErrors, [], 'no uncaught errors in the page')
}
