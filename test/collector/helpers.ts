/**
 * Collector test helpers: an in-process collector on free loopback ports with
 * its database in a fresh temp dir, OTLP/JSON request builders, and a tiny
 * JSON GET against the query API.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { startCollector } from '../../src/collector/index.js'
import type { Collector, CollectorOptions } from '../../src/collector/index.js'
import { testStoreUrl } from '../helpers/test-store.js'

export interface TestCollector {
  collector: Collector
  dataDir: string
  otlpUrl: string
  grpcUrl: string
  apiUrl: string
  logs: string[]
  close(): Promise<void>
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'tracecar-collector-'))
}

export async function startTestCollector(options: CollectorOptions = {}): Promise<TestCollector> {
  const dataDir = options.dataDir ?? tempDataDir()
  const logs: string[] = []
  const collector = await startCollector({
    uiDir: null,
    // The default store, or ClickHouse when the suite runs on it (test/helpers/test-store.ts).
    store: testStoreUrl(),
    ...options,
    dataDir,
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    httpPort: 0,
    log: (line) => logs.push(line),
  })
  return {
    collector,
    dataDir,
    otlpUrl: `http://127.0.0.1:${collector.ports.otlpHttp}`,
    grpcUrl: `http://127.0.0.1:${collector.ports.otlpGrpc}`,
    apiUrl: `http://127.0.0.1:${collector.ports.http}`,
    logs,
    close: async () => {
      await collector.close()
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url)
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = text
  }
  return { status: response.status, body }
}

export function hexId(bytes: number): string {
  return randomBytes(bytes).toString('hex')
}

export interface JsonSpanInput {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind?: number
  startMs: number
  durationMs: number
  status?: number
  attributes?: Record<string, string | number | boolean>
  traceState?: string
  links?: Array<{ traceId: string; spanId: string; traceState?: string; attributes?: Record<string, string | number | boolean> }>
}

function anyValue(v: string | number | boolean): Record<string, unknown> {
  if (typeof v === 'string') return { stringValue: v }
  if (typeof v === 'boolean') return { boolValue: v }
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }
}

export function kvList(attrs: Record<string, string | number | boolean>): Array<{ key: string; value: Record<string, unknown> }> {
  return Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }))
}

export function msToNanoString(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString()
}

/** An OTLP/JSON ExportTraceServiceRequest: one resource per service. */
export function jsonTraceRequest(byService: Record<string, JsonSpanInput[]>, resourceExtra: Record<string, string> = {}): unknown {
  return {
    resourceSpans: Object.entries(byService).map(([service, spans]) => ({
      resource: { attributes: kvList({ 'service.name': service, ...resourceExtra }) },
      scopeSpans: [
        {
          scope: { name: 'test', version: '1' },
          spans: spans.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            traceState: s.traceState ?? '',
            name: s.name,
            kind: s.kind ?? 2,
            startTimeUnixNano: msToNanoString(s.startMs),
            endTimeUnixNano: msToNanoString(s.startMs + s.durationMs),
            attributes: kvList(s.attributes ?? {}),
            status: { code: s.status ?? 0 },
            links: (s.links ?? []).map((l) => ({
              traceId: l.traceId,
              spanId: l.spanId,
              traceState: l.traceState ?? '',
              attributes: kvList(l.attributes ?? {}),
            })),
          })),
        },
      ],
    })),
  }
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers }
}
