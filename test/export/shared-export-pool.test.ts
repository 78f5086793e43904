/**
 * One export pool for both signals: the span exporter and the access log's
 * log exporter share the workers, each with its own queue, drops, endpoint,
 * partial-success reading, shutdown deadline and worker-failure count.
 */
import t from 'tap'
import { createOtlpSpanExporter, OtlpExportPool, OtlpLogExporter } from '../../src/export/index.js'
import type { ExporterConfig } from '../../src/config/proxy-config.js'
import type { LogRecordData } from '../../src/export/otlp-log-record.js'
import { metricValue, newId, newRegistry, simpleSpan, testConfig } from './fixtures.js'
import { logsResponseBytes, startOtlpReceiver } from './otlp-receiver.js'
import type { OtlpReceiver, Reply, ReceivedRequest } from './otlp-receiver.js'

function logRecord(index: number): LogRecordData {
  return {
    timeUnixMs: 1_700_000_000_000 + index + 0.25,
    severityNumber: 9,
    severityText: 'INFO',
    body: `request GET /item/${index} 200 1.5ms`,
    traceId: newId(16),
    spanId: newId(8),
    traceFlags: 1,
    attributes: { method: 'GET', path: `/item/${index}`, status: 200, duration_ms: 1.5 },
  }
}

function exporters(receiver: OtlpReceiver, overrides: Partial<ExporterConfig> = {}) {
  const config = testConfig({ endpoint: receiver.url, logsEndpoint: receiver.logsUrl, workers: 1, ...overrides })
  const registry = newRegistry()
  const lines: string[] = []
  const log = (line: string): void => {
    lines.push(line)
  }
  const pool = new OtlpExportPool({ config, resource: { 'service.name': 'shop' } })
  const spans = createOtlpSpanExporter({ config, resource: { 'service.name': 'shop' }, registry, log, pool })
  const logs = new OtlpLogExporter({ pool, config, registry, log })
  return { pool, spans, logs, registry, lines }
}

const isLogs = (request: ReceivedRequest): boolean => request.path === '/v1/logs'

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  t.test(`${protocol}: spans and log records go through one worker to their own endpoints`, async (t) => {
    const receiver = await startOtlpReceiver()
    t.teardown(() => receiver.close())
    const { pool, spans, logs, registry, lines } = exporters(receiver, { protocol })
    t.same(pool.threads, [], 'no worker before the first batch')
    const sentSpans = [simpleSpan(1), simpleSpan(2)]
    const sentRecords = [logRecord(1), logRecord(2), logRecord(3)]
    for (const span of sentSpans) spans.export(span)
    for (const record of sentRecords) logs.export(record)
    const received = await receiver.waitForAcceptedLogRecords(3)
    await receiver.waitForAcceptedSpans(2)
    t.equal(pool.threads.length, 1, 'one worker thread for both signals')
    t.same(spans.workerThreads, pool.threads)

    t.same(received.map((r) => r.traceId).sort(), sentRecords.map((r) => r.traceId).sort())
    t.match(
      received.find((r) => r.traceId === sentRecords[0]!.traceId),
      {
        spanId: sentRecords[0]!.spanId,
        flags: 1,
        timeUnixNano: '1700000000001250000',
        severityNumber: 9,
        severityText: 'INFO',
        body: { type: 'string', value: 'request GET /item/1 200 1.5ms' },
        attributes: { status: { type: 'int', value: '200' }, duration_ms: { type: 'double', value: 1.5 } },
        resource: { 'service.name': { type: 'string', value: 'shop' } },
        scope: { name: 'tracecar/access-log', version: '' },
      },
    )
    t.match(receiver.acceptedSpans[0], { scope: { name: 'tracecar' }, resource: { 'service.name': { value: 'shop' } } })
    const contentType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'
    t.ok(receiver.requests.every((r) => r.headers['content-type'] === contentType))
    t.ok(
      receiver.requests.filter(isLogs).every((r) => r.spans.length === 0 && r.logRecords.length > 0),
      'log records only to the logs URL',
    )
    t.ok(
      receiver.requests.filter((r) => !isLogs(r)).every((r) => r.logRecords.length === 0 && r.spans.length > 0),
      'spans only to the traces URL',
    )
    t.ok((await metricValue(registry, 'tracecar_exporter_batches_sent_total', { signal: 'logs' })) >= 1)
    t.ok((await metricValue(registry, 'tracecar_exporter_batches_sent_total', { signal: 'traces' })) >= 1)

    t.same(await spans.shutdown(5000), { exported: 2, dropped: 0 })
    t.equal(await metricValue(registry, 'tracecar_exporter_spans_exported_total'), 2)
    t.equal(pool.threads.length, 1, 'the span exporter alone does not stop the shared workers')
    logs.export(logRecord(4))
    await receiver.waitForAcceptedLogRecords(4)
    t.same(await logs.shutdown(5000), { exported: 4, dropped: 0 })
    t.equal(await metricValue(registry, 'tracecar_exporter_log_records_exported_total'), 4)
    t.same(pool.threads, [], 'the last exporter to finish destroys the pool')
    t.same(lines, [
      'span exporter stopped: 2 spans exported, 0 dropped (queue_full 0, export_failed 0, rejected 0, shutdown 0)',
      'access log OTLP exporter stopped: 4 log records exported, 0 dropped (queue_full 0, export_failed 0, rejected 0, shutdown 0)',
    ])
  })
}

t.test("a log batch waiting out Retry-After is not cut by the span exporter's shutdown", async (t) => {
  let logRequests = 0
  const receiver = await startOtlpReceiver((request): Reply => {
    if (isLogs(request) && logRequests++ === 0) return { status: 503, headers: { 'retry-after': '1' } }
    return { status: 200 }
  })
  t.teardown(() => receiver.close())
  const { spans, logs, registry } = exporters(receiver, { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 })
  spans.export(simpleSpan(1))
  logs.export(logRecord(1))
  await receiver.waitForRequests(1)
  await receiver.waitForAcceptedSpans(1)
  const firstLogAt = Date.now()
  // A short span deadline: the log batch, in its 1 s Retry-After wait, must not give up with it.
  t.same(await spans.shutdown(100), { exported: 1, dropped: 0 })
  const [record] = await receiver.waitForAcceptedLogRecords(1)
  t.ok(record, 'the log record arrived after the Retry-After wait')
  const logPosts = receiver.requests.filter(isLogs)
  t.equal(logPosts.length, 2)
  t.ok(logPosts[1]!.receivedAtMs - logPosts[0]!.receivedAtMs >= 900, 'the retry waited for Retry-After')
  t.ok(Date.now() - firstLogAt < 30_000)
  t.same(await logs.shutdown(5000), { exported: 1, dropped: 0 })
  t.equal(await metricValue(registry, 'tracecar_exporter_export_retries_total', { signal: 'logs' }), 1)
  t.equal(await metricValue(registry, 'tracecar_exporter_export_retries_total', { signal: 'traces' }), 0)
})

t.test('shutdown flushes both signals before the pool is destroyed', async (t) => {
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  // Only the shutdown flush can send these.
  const { pool, spans, logs } = exporters(receiver, { scheduledDelayMs: 600_000 })
  for (let i = 0; i < 5; i++) spans.export(simpleSpan(i))
  for (let i = 0; i < 7; i++) logs.export(logRecord(i))
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(receiver.requests.length, 0)
  const [spanReport, logReport] = await Promise.all([spans.shutdown(15_000), logs.shutdown(15_000)])
  t.same(spanReport, { exported: 5, dropped: 0 })
  t.same(logReport, { exported: 7, dropped: 0 })
  t.equal(receiver.acceptedSpans.length, 5)
  t.equal(receiver.acceptedLogRecords.length, 7)
  t.same(pool.threads, [])
  logs.export(logRecord(99))
  t.equal(logs.snapshot().dropped.shutdown, 1, 'a record after shutdown is counted, not sent')
})

t.test('log drops by reason: queue_full, partial success; spans unaffected', async (t) => {
  const receiver = await startOtlpReceiver((request): Reply =>
    isLogs(request) ? { status: 200, body: logsResponseBytes({ rejectedLogRecords: 1, errorMessage: 'one too old' }) } : { status: 200 },
  )
  t.teardown(() => receiver.close())
  const { spans, logs, registry, lines } = exporters(receiver, { maxQueueSize: 3, maxExportBatchSize: 3 })
  for (let i = 0; i < 5; i++) logs.export(logRecord(i))
  spans.export(simpleSpan(1))
  await receiver.waitForAcceptedLogRecords(3)
  await receiver.waitForAcceptedSpans(1)
  await spans.shutdown(5000)
  t.same(await logs.shutdown(5000), { exported: 2, dropped: 3 })
  const dropped = async (name: string, reason: string): Promise<number> => metricValue(registry, name, { reason })
  t.equal(await dropped('tracecar_exporter_log_records_dropped_total', 'queue_full'), 2)
  t.equal(await dropped('tracecar_exporter_log_records_dropped_total', 'rejected'), 1)
  t.equal(await dropped('tracecar_exporter_spans_dropped_total', 'queue_full'), 0)
  t.equal(await dropped('tracecar_exporter_spans_dropped_total', 'rejected'), 0)
  t.match(
    lines[1],
    /access log OTLP exporter stopped: 2 log records exported, 3 dropped \(queue_full 2, export_failed 0, rejected 1, shutdown 0\); last error: .*one too old/,
  )
})

t.test('a worker that dies with a log batch: the batch is sent once more, counted under signal="logs"', async (t) => {
  let logRequests = 0
  const receiver = await startOtlpReceiver((request): Reply => (isLogs(request) && logRequests++ === 0 ? 'hang' : { status: 200 }))
  t.teardown(() => receiver.close())
  const { pool, spans, logs, registry } = exporters(receiver, { timeoutMs: 60_000 })
  const sent = [logRecord(1), logRecord(2)]
  for (const record of sent) logs.export(record)
  await receiver.waitForRequests(1)
  const [worker] = pool.threads
  t.ok(worker)
  t.equal(await worker!.terminate(), 1)
  const received = await receiver.waitForAcceptedLogRecords(2)
  t.same(received.map((r) => r.traceId).sort(), sent.map((r) => r.traceId).sort())
  spans.export(simpleSpan(1))
  await receiver.waitForAcceptedSpans(1)
  t.ok(pool.threads.length === 1 && pool.threads[0] !== worker, 'the pool has a new worker')
  t.equal(await metricValue(registry, 'tracecar_exporter_worker_failures_total', { signal: 'logs' }), 1)
  t.equal(await metricValue(registry, 'tracecar_exporter_worker_failures_total', { signal: 'traces' }), 0)
  await spans.shutdown(2000)
  t.same(await logs.shutdown(2000), { exported: 2, dropped: 0 })
})

t.test('the logs endpoint is checked when the log exporter attaches; attaching after the workers started is refused', async (t) => {
  const config = testConfig({ logsEndpoint: 'not a url' })
  const pool = new OtlpExportPool({ config, resource: {} })
  t.throws(() => new OtlpLogExporter({ pool, config, registry: newRegistry(), log: () => {} }), {
    message: /exporter\.logsEndpoint: 'not a url' is not a URL; give the full logs URL/,
  })
  const receiver = await startOtlpReceiver()
  t.teardown(() => receiver.close())
  const { pool: running, spans, logs } = exporters(receiver)
  spans.export(simpleSpan(1))
  await receiver.waitForAcceptedSpans(1)
  t.throws(() => running.attach('logs', { scope: { name: 'x', version: '' }, onWorkerError: () => {} }), /already/)
  await Promise.all([spans.shutdown(2000), logs.shutdown(2000)])
})
