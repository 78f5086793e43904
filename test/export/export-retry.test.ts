import t from 'tap'
import { createOtlpSpanExporter } from '../../src/export/index.js'
import { droppedByReason, metricValue, newRegistry, simpleSpan, testConfig } from './fixtures.js'
import { startOtlpReceiver, traceResponseBytes } from './otlp-receiver.js'

t.test('503 then success: every span is delivered exactly once', async (t) => {
  const receiver = await startOtlpReceiver((_req, index) => (index === 0 ? { status: 503 } : { status: 200 }))
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const exporter = createOtlpSpanExporter({ config: testConfig({ endpoint: receiver.url }), resource: {}, registry, log: () => {} })
  const sent = Array.from({ length: 5 }, (_, i) => simpleSpan(i))
  for (const span of sent) exporter.export(span)
  await receiver.waitForAcceptedSpans(5)
  const report = await exporter.shutdown(2000)

  t.equal(receiver.requests.length, 2, 'one failed attempt, one retry')
  t.same(receiver.requests[1]!.spans.map((s) => s.spanId).sort(), sent.map((s) => s.spanId).sort(), 'the retry carries the same spans')
  t.same(receiver.acceptedSpans.map((s) => s.spanId).sort(), sent.map((s) => s.spanId).sort(), 'each span accepted exactly once')
  t.same(report, { exported: 5, dropped: 0 })
  t.equal(await metricValue(registry, 'tracecar_exporter_export_attempts_total', { signal: 'traces' }), 2)
  t.equal(await metricValue(registry, 'tracecar_exporter_export_retries_total', { signal: 'traces' }), 1)
})

t.test('Retry-After is honoured: the retry waits at least that long', async (t) => {
  const receiver = await startOtlpReceiver((_req, index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }))
  t.teardown(() => receiver.close())
  // Our own backoff is at most 20 ms, so only Retry-After can make the gap reach 1 s.
  const exporter = createOtlpSpanExporter({
    config: testConfig({ endpoint: receiver.url, initialBackoffMs: 10, maxBackoffMs: 20 }),
    resource: {},
    registry: newRegistry(),
    log: () => {},
  })
  exporter.export(simpleSpan(1))
  await receiver.waitForAcceptedSpans(1)
  await exporter.shutdown(2000)
  const gapMs = receiver.requests[1]!.receivedAtMs - receiver.requests[0]!.receivedAtMs
  // Lower bound only; a few ms of slack for the two clocks' rounding.
  t.ok(gapMs >= 990, `retry came ${gapMs} ms after the 429 with Retry-After: 1`)
})

t.test('other 4xx are not retried and count as rejected', async (t) => {
  const receiver = await startOtlpReceiver(() => ({ status: 400, body: 'bad payload' }))
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const lines: string[] = []
  const exporter = createOtlpSpanExporter({ config: testConfig({ endpoint: receiver.url }), resource: {}, registry, log: (l) => lines.push(l) })
  for (let i = 0; i < 4; i++) exporter.export(simpleSpan(i))
  await receiver.waitForRequests(1)
  const report = await exporter.shutdown(2000)
  t.equal(receiver.requests.length, 1, 'no retry after 400')
  t.same(report, { exported: 0, dropped: 4 })
  t.match(await droppedByReason(registry), { rejected: 4, export_failed: 0, queue_full: 0 })
  t.match(lines[0], /HTTP 400: bad payload/, 'the summary quotes what the collector said')
})

t.test('retries exhausted: the batch counts as export_failed', async (t) => {
  const receiver = await startOtlpReceiver(() => ({ status: 503 }))
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const exporter = createOtlpSpanExporter({ config: testConfig({ endpoint: receiver.url, maxAttempts: 3 }), resource: {}, registry, log: () => {} })
  for (let i = 0; i < 3; i++) exporter.export(simpleSpan(i))
  await receiver.waitForRequests(3)
  const report = await exporter.shutdown(2000)
  t.equal(receiver.requests.length, 3, 'maxAttempts requests, no more')
  t.same(report, { exported: 0, dropped: 3 })
  t.match(await droppedByReason(registry), { export_failed: 3 })
})

t.test('partial success in a protobuf response is counted as rejected', async (t) => {
  const receiver = await startOtlpReceiver(() => ({ status: 200, body: traceResponseBytes({ rejectedSpans: 2, errorMessage: 'span too large' }) }))
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const lines: string[] = []
  const exporter = createOtlpSpanExporter({ config: testConfig({ endpoint: receiver.url }), resource: {}, registry, log: (l) => lines.push(l) })
  for (let i = 0; i < 5; i++) exporter.export(simpleSpan(i))
  await receiver.waitForRequests(1)
  const report = await exporter.shutdown(2000)
  t.same(report, { exported: 3, dropped: 2 })
  t.match(await droppedByReason(registry), { rejected: 2 })
  t.equal(await metricValue(registry, 'tracecar_exporter_spans_exported_total'), 3)
  t.match(lines[0], /span too large/)
})

t.test('partial success in a JSON response is counted as rejected', async (t) => {
  const receiver = await startOtlpReceiver(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ partialSuccess: { rejectedSpans: '1', errorMessage: 'quota' } }),
  }))
  t.teardown(() => receiver.close())
  const registry = newRegistry()
  const exporter = createOtlpSpanExporter({ config: testConfig({ endpoint: receiver.url, protocol: 'http/json' }), resource: {}, registry, log: () => {} })
  for (let i = 0; i < 4; i++) exporter.export(simpleSpan(i))
  await receiver.waitForRequests(1)
  const report = await exporter.shutdown(2000)
  t.same(report, { exported: 3, dropped: 1 })
  t.match(await droppedByReason(registry), { rejected: 1 })
})
