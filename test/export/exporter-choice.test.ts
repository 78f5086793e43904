import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConsoleSpanExporter, createSpanExporter, NoopSpanExporter, OtlpSpanExporter } from '../../src/export/index.js'
import { metricValue, newRegistry, simpleSpan, testConfig } from './fixtures.js'
import { closedPort } from './otlp-receiver.js'

t.test('type none: spans are counted and discarded', async (t) => {
  const registry = newRegistry()
  const exporter = createSpanExporter(testConfig({ type: 'none' }), { resource: {}, registry, log: () => {} })
  t.ok(exporter instanceof NoopSpanExporter)
  for (let i = 0; i < 3; i++) exporter.export(simpleSpan(i))
  t.equal(await metricValue(registry, 'tracecar_exporter_spans_received_total'), 3)
  t.same(await exporter.shutdown(100), { exported: 0, dropped: 0 })
})

t.test('type otlp: the worker exporter', async (t) => {
  const port = await closedPort()
  const exporter = createSpanExporter(testConfig({ type: 'otlp', endpoint: `http://127.0.0.1:${port}/v1/traces` }), {
    resource: {},
    registry: newRegistry(),
    log: () => {},
  })
  t.ok(exporter instanceof OtlpSpanExporter)
  await exporter.shutdown(100)
})

t.test('a bad endpoint is refused at start-up with the key and an example', async (t) => {
  t.throws(() => createSpanExporter(testConfig({ type: 'otlp', endpoint: 'collector:4318' }), { resource: {}, registry: newRegistry(), log: () => {} }), {
    message: /exporter\.endpoint: 'collector:4318' uses collector:; OTLP\/HTTP needs http: or https:/,
  })
  t.throws(() => createSpanExporter(testConfig({ type: 'otlp', endpoint: 'not a url' }), { resource: {}, registry: newRegistry(), log: () => {} }), {
    message: /exporter\.endpoint: 'not a url' is not a URL; give the full traces URL/,
  })
})

t.test('console exporter: one JSON line per span, flushed at shutdown', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tracecar-console-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'spans.jsonl')
  const exporter = new ConsoleSpanExporter({ destination: file })
  const spans = [simpleSpan(1), simpleSpan(2)]
  for (const span of spans) exporter.export(span)
  t.same(await exporter.shutdown(1000), { exported: 2, dropped: 0 })
  const lines = (await readFile(file, 'utf8')).trim().split('\n')
  t.same(
    lines.map((l) => JSON.parse(l)),
    spans,
  )
})
