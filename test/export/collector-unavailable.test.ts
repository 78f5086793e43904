import t from 'tap'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { createOtlpSpanExporter } from '../../src/export/index.js'
import { droppedByReason, metricValue, newRegistry, simpleSpan, testConfig } from './fixtures.js'
import { closedPort, startOtlpReceiver } from './otlp-receiver.js'

t.test('collector down for the whole run: export() never throws and every span is counted as dropped', async (t) => {
  const port = await closedPort()
  const registry = newRegistry()
  const lines: string[] = []
  const exporter = createOtlpSpanExporter({
    config: testConfig({
      endpoint: `http://127.0.0.1:${port}/v1/traces`,
      maxQueueSize: 100,
      maxExportBatchSize: 10,
      scheduledDelayMs: 5,
      maxConcurrentExports: 2,
      maxAttempts: 2,
      initialBackoffMs: 5,
      maxBackoffMs: 10,
    }),
    resource: {},
    registry,
    log: (l) => lines.push(l),
  })
  const total = 600
  let threw = 0
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < total / 12; i++) {
      try {
        exporter.export(simpleSpan(round * 100 + i))
      } catch {
        threw++
      }
    }
    // Let the exporter's batches and retries run between bursts, as traffic would.
    await nextTurn()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  // A generous deadline: shutdown returns as soon as every batch has settled
  // (quickly, the port refuses at once); the margin is for a worker that starts
  // slowly on a loaded machine (under tsx it compiles its modules first).
  const report = await exporter.shutdown(15_000)
  t.equal(threw, 0, 'export() never threw')
  t.equal(report.exported, 0)
  t.equal(report.dropped, total, 'every span sent is counted as dropped')
  const dropped = await droppedByReason(registry)
  t.equal(dropped.queue_full! + dropped.export_failed! + dropped.shutdown! + dropped.rejected!, total, 'the reasons add up to what was sent')
  t.ok(dropped.export_failed! > 0, `some batches were tried and failed (${JSON.stringify(dropped)})`)
  t.equal(await metricValue(registry, 'tracecar_exporter_spans_received_total'), total)
  t.equal(lines.length, 1)
  t.match(lines[0], /ECONNREFUSED/, 'the summary says why')
})

t.test('the queue bound holds under a burst, counting full batches that wait for a send slot', async (t) => {
  // The collector takes requests and never answers: the single send slot stays busy.
  const receiver = await startOtlpReceiver(() => 'hang')
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const exporter = createOtlpSpanExporter({
    config: testConfig({
      endpoint: receiver.url,
      maxQueueSize: 50,
      maxExportBatchSize: 10,
      maxConcurrentExports: 1,
      timeoutMs: 30_000,
      scheduledDelayMs: 5,
    }),
    resource: {},
    registry,
    log: () => {},
  })
  // One synchronous burst: nothing can leave the queue during it.
  for (let i = 0; i < 1000; i++) exporter.export(simpleSpan(i))
  t.equal((await droppedByReason(registry)).queue_full, 950, 'spans beyond maxQueueSize are dropped as queue_full')
  t.equal(await metricValue(registry, 'tracecar_exporter_spans_queue_size'), 50)

  await receiver.waitForRequests(1)
  t.equal(receiver.requests[0]!.spans.length, 10, 'one batch went out and hangs')
  // 40 wait in the queue; 4 more full batches wait for the busy slot and still count.
  for (let i = 0; i < 1000; i++) exporter.export(simpleSpan(i))
  t.equal((await droppedByReason(registry)).queue_full, 950 + 990, 'only the 10 free places were taken')
  t.equal(await metricValue(registry, 'tracecar_exporter_spans_queue_size'), 50, 'queued spans never exceed maxQueueSize')

  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(receiver.requests.length, 1, 'no second batch while the only slot is busy')

  const report = await exporter.shutdown(200)
  t.same(report, { exported: 0, dropped: 2000 })
  t.match(await droppedByReason(registry), { queue_full: 1940, shutdown: 60 })
})
