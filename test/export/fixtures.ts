/** Span records and exporter settings for the export tests. */
import { randomBytes } from 'node:crypto'
import { Registry } from 'prom-client'
import type { ExporterConfig } from '../../src/config/proxy-config.js'
import { SpanKind, StatusCode } from '../../src/span/span-record.js'
import type { SpanRecord } from '../../src/span/span-record.js'

export function testConfig(overrides: Partial<ExporterConfig>): ExporterConfig {
  return {
    type: 'otlp',
    endpoint: 'http://127.0.0.1:1/v1/traces',
    logsEndpoint: 'http://127.0.0.1:1/v1/logs',
    protocol: 'http/protobuf',
    compression: 'none',
    headers: {},
    timeoutMs: 2000,
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMs: 20,
    workers: 1,
    maxAttempts: 3,
    initialBackoffMs: 10,
    maxBackoffMs: 50,
    maxConcurrentExports: 2,
    ...overrides,
  }
}

export function newId(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

/** A simple server span; `index` lands in the name and an int attribute. */
export function simpleSpan(index: number, traceId: string = newId(16)): SpanRecord {
  const start = 1_700_000_000_000 + index
  return {
    traceId,
    spanId: newId(8),
    parentSpanId: '',
    traceFlags: 1,
    traceState: '',
    name: `GET /item/${index}`,
    kind: SpanKind.SERVER,
    startUnixMs: start,
    endUnixMs: start + 1.5,
    statusCode: StatusCode.UNSET,
    statusMessage: '',
    attributes: { 'test.index': index },
    events: [],
    links: [],
  }
}

export interface MetricSample {
  labels: Record<string, string | number>
  value: number
}

/** The samples of one metric, read the way Prometheus would (collect runs). */
export async function metricSamples(registry: Registry, name: string): Promise<MetricSample[]> {
  const metric = registry.getSingleMetric(name)
  if (metric === undefined) throw new Error(`metric ${name} is not registered`)
  const data = await metric.get()
  return data.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }))
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const samples = await metricSamples(registry, name)
  const match = samples.find((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))
  return match?.value ?? 0
}

export async function droppedByReason(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const s of await metricSamples(registry, 'tracecar_exporter_spans_dropped_total')) out[String(s.labels.reason)] = s.value
  return out
}

export function newRegistry(): Registry {
  return new Registry()
}
