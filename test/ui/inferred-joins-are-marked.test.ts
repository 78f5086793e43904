// A CLIENT span a sidecar joined to its parent by inference (the service
// forwarded nothing) says so in its details, in a real browser against a real
// collector: which rule, and when the parent request's client had left. A span
// whose parent the service named says nothing of the kind.
import t from 'tap'
import { chromiumMissing, openTestPage } from './browser.ts'
import { startCollectorWithData } from './collector-with-data.ts'
import { hexId, postOtlp, type TestSpan, tracesBody } from './otlp-json.ts'

function traces(t0: number) {
  const traceId = hexId('5a', 32)
  const server: TestSpan = { traceId, spanId: hexId('5b', 16), service: 'legacy', name: 'GET /orders', startMs: t0, durationMs: 40 }
  const inferred: TestSpan = {
    traceId,
    spanId: hexId('5c', 16),
    parentSpanId: server.spanId,
    service: 'legacy',
    name: 'GET',
    kind: 'CLIENT',
    startMs: t0 + 5,
    durationMs: 20,
    attributes: { 'tracecar.join.rule': 'worker_process', 'tracecar.join.inferred': true },
  }
  const late: TestSpan = {
    traceId,
    spanId: hexId('5d', 16),
    parentSpanId: server.spanId,
    service: 'legacy',
    name: 'GET',
    kind: 'CLIENT',
    startMs: t0 + 30,
    durationMs: 20,
    attributes: { 'tracecar.join.rule': 'sole_inbound', 'tracecar.join.inferred': true, 'tracecar.join.parent_abandoned': true },
  }
  const named: TestSpan = {
    traceId,
    spanId: hexId('5e', 16),
    parentSpanId: server.spanId,
    service: 'legacy',
    name: 'POST',
    kind: 'CLIENT',
    startMs: t0 + 8,
    durationMs: 5,
    attributes: { 'tracecar.join.rule': 'context' },
  }
  return { traceId, server, inferred, late, named, spans: [server, inferred, late, named] }
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
  const open = async (span: TestSpan): Promise<string | undefined> => {
    // A fresh load each time: the trace page keeps its own URL in step as it opens a span.
    await page.goto('about:blank')
    await page.goto(`${running.baseUrl}/trace/${data.traceId}?span=${span.spanId}`)
    await page.locator('[data-testid=span-attributes]').waitFor()
    const note = page.locator('[data-testid=inferred-join]')
    return (await note.count()) === 0 ? undefined : note.innerText()
  }
  await t.test("an inferred link says so in the span's details", async (t) => {
    t.match(await open(data.inferred), /parent inferred by worker-process$/, 'it names its rule')
    t.match(await open(data.late), /parent inferred by sole-inbound; its client had left before the call/, 'and says when the parent had lost its client')
    t.equal(await open(data.named), undefined, 'a parent the service named is not called inferred')
    t.same(pageErrors, [], 'no page errors')
  })
}
