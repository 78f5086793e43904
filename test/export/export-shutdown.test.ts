import t from 'tap'
import { createOtlpSpanExporter } from '../../src/export/index.js'
import { droppedByReason, newRegistry, simpleSpan, testConfig } from './fixtures.js'
import { startOtlpReceiver } from './otlp-receiver.js'

t.test('shutdown flushes spans still waiting for their schedule', async (t) => {
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const lines: string[] = []
  const exporter = createOtlpSpanExporter({
    // A delay far beyond the test: only the shutdown flush can send these.
    config: testConfig({ endpoint: receiver.url, scheduledDelayMs: 600_000, maxExportBatchSize: 512 }),
    resource: {},
    registry: newRegistry(),
    log: (l) => lines.push(l),
  })
  const sent = Array.from({ length: 7 }, (_, i) => simpleSpan(i))
  for (const span of sent) exporter.export(span)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(receiver.requests.length, 0, 'nothing sent before the delay or the flush')
  // Returns as soon as the flush is delivered; the margin is for a worker that
  // starts slowly on a loaded machine (under tsx it compiles its modules first).
  const report = await exporter.shutdown(15_000)
  t.same(report, { exported: 7, dropped: 0 })
  t.same(receiver.acceptedSpans.map((s) => s.spanId).sort(), sent.map((s) => s.spanId).sort())
  t.same(lines, ['span exporter stopped: 7 spans exported, 0 dropped (queue_full 0, export_failed 0, rejected 0, shutdown 0)'])
  t.equal(await exporter.shutdown(3000), report, 'a second shutdown returns the same report')
  t.equal(lines.length, 1, 'and logs nothing more')
})

t.test('shutdown gives up at its deadline and counts what it could not send', async (t) => {
  const receiver = await startOtlpReceiver(() => 'hang')
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const lines: string[] = []
  const exporter = createOtlpSpanExporter({
    config: testConfig({ endpoint: receiver.url, timeoutMs: 60_000, maxExportBatchSize: 4, maxConcurrentExports: 1 }),
    resource: {},
    registry,
    log: (l) => lines.push(l),
  })
  for (let i = 0; i < 10; i++) exporter.export(simpleSpan(i))
  await receiver.waitForRequests(1)
  const startedAt = Date.now()
  const report = await exporter.shutdown(300)
  const tookMs = Date.now() - startedAt
  // Not a speed assertion: the request timeout is 60 s, so finishing well
  // before it shows the deadline, not the timeout, ended the flush.
  t.ok(tookMs < 30_000, `shutdown returned after ${tookMs} ms, at its deadline`)
  t.same(report, { exported: 0, dropped: 10 })
  t.match(await droppedByReason(registry), { shutdown: 10 })
  t.equal(lines.length, 1)

  exporter.export(simpleSpan(99))
  t.match(await droppedByReason(registry), { shutdown: 11 }, 'a span after shutdown is counted, not sent, and does not throw')
})
