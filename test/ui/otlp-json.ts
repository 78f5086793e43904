// Builds OTLP/HTTP JSON bodies for the UI tests: the same wire format an OpenTelemetry SDK sends,
// so the collector's real receiver stores the spans and logs the browser then reads.

export interface TestSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  service: string
  name: string
  kind?: 'SERVER' | 'CLIENT' | 'INTERNAL'
  startMs: number
  durationMs: number
  attributes?: Record<string, string | number | boolean>
  events?: { name: string; atMs: number; attributes?: Record<string, string | number | boolean> }[]
  error?: string
  /** W3C tracestate, as `tracecar load` sets it (`tracecar=run-<id>`). */
  traceState?: string
  links?: { traceId: string; spanId: string; traceState?: string; attributes?: Record<string, string | number | boolean> }[]
}

export interface TestLog {
  traceId: string
  spanId?: string
  service: string
  timeMs: number
  severityNumber: number
  severityText: string
  body: string
}

const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const

function nanos(ms: number): string {
  return (BigInt(Math.round(ms * 1000)) * 1000n).toString()
}

function attrs(obj: Record<string, string | number | boolean>) {
  return Object.entries(obj).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }))
}

function byService<T extends { service: string }>(items: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>()
  for (const it of items) m.set(it.service, [...(m.get(it.service) ?? []), it])
  return m
}

export function tracesBody(spans: TestSpan[]) {
  return {
    resourceSpans: [...byService(spans)].map(([service, list]) => ({
      resource: { attributes: attrs({ 'service.name': service, 'host.name': 'ui-test' }) },
      scopeSpans: [
        {
          scope: { name: 'tracecar-ui-test', version: '1' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            traceState: s.traceState ?? '',
            name: s.name,
            kind: KIND[s.kind ?? 'SERVER'],
            startTimeUnixNano: nanos(s.startMs),
            endTimeUnixNano: nanos(s.startMs + s.durationMs),
            attributes: attrs(s.attributes ?? {}),
            events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: nanos(e.atMs), attributes: attrs(e.attributes ?? {}) })),
            status: s.error ? { code: 2, message: s.error } : { code: 0 },
            links: (s.links ?? []).map((l) => ({
              traceId: l.traceId,
              spanId: l.spanId,
              traceState: l.traceState ?? '',
              attributes: attrs(l.attributes ?? {}),
            })),
          })),
        },
      ],
    })),
  }
}

export function logsBody(logs: TestLog[]) {
  return {
    resourceLogs: [...byService(logs)].map(([service, list]) => ({
      resource: { attributes: attrs({ 'service.name': service }) },
      scopeLogs: [
        {
          scope: { name: 'tracecar-ui-test' },
          logRecords: list.map((l) => ({
            timeUnixNano: nanos(l.timeMs),
            observedTimeUnixNano: nanos(l.timeMs),
            severityNumber: l.severityNumber,
            severityText: l.severityText,
            body: { stringValue: l.body },
            traceId: l.traceId,
            spanId: l.spanId ?? '',
            attributes: attrs({ 'log.source': 'ui-test' }),
          })),
        },
      ],
    })),
  }
}

export async function postOtlp(port: number, path: '/v1/traces' | '/v1/logs', body: unknown): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`)
}

let counter = 0
/** Deterministic, distinct hex ids so failures are easy to read. */
export function hexId(prefix: string, length: 16 | 32): string {
  counter++
  const tail = counter.toString(16)
  return (prefix + '0'.repeat(length)).slice(0, length - tail.length) + tail
}
