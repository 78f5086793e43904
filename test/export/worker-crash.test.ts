import t from 'tap'
import { createOtlpSpanExporter } from '../../src/export/index.js'
import { metricValue, newRegistry, simpleSpan, testConfig } from './fixtures.js'
import { startOtlpReceiver } from './otlp-receiver.js'

t.test('a worker that dies mid-export is replaced; its batch is sent again and later spans still arrive', async (t) => {
  // The first request is left hanging so the batch is certainly inside the worker when it dies.
  const receiver = await startOtlpReceiver((_req, index) => (index === 0 ? 'hang' : { status: 200 }))
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const exporter = createOtlpSpanExporter({
    config: testConfig({ endpoint: receiver.url, workers: 1, timeoutMs: 60_000 }),
    resource: {},
    registry,
    log: () => {},
  })
  const first = [simpleSpan(1), simpleSpan(2), simpleSpan(3)]
  for (const span of first) exporter.export(span)
  await receiver.waitForRequests(1)

  const [worker] = exporter.workerThreads
  t.ok(worker, 'a worker thread is running')
  // From the pool's point of view this is a crash: the thread exits with a task in hand.
  const exitCode = await worker!.terminate()
  t.equal(exitCode, 1)

  const afterCrash = await receiver.waitForAcceptedSpans(3)
  t.same(afterCrash.map((s) => s.spanId).sort(), first.map((s) => s.spanId).sort(), 'the batch the dead worker held was sent again')

  const later = [simpleSpan(4), simpleSpan(5)]
  for (const span of later) exporter.export(span)
  const all = await receiver.waitForAcceptedSpans(5)
  t.same(
    all
      .slice(3)
      .map((s) => s.spanId)
      .sort(),
    later.map((s) => s.spanId).sort(),
    'spans exported after the crash arrive',
  )
  t.ok(exporter.workerThreads.length >= 1 && exporter.workerThreads[0] !== worker, 'the pool has a new worker')
  t.equal(await metricValue(registry, 'tracecar_exporter_worker_failures_total', { signal: 'traces' }), 1)

  const report = await exporter.shutdown(2000)
  t.same(report, { exported: 5, dropped: 0 })
})
