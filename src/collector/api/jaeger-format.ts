/**
 * Our spans in the JSON shape of Jaeger's query service HTTP API
 * (jaeger-query /api/..., model/json in the Jaeger repository): the
 * `{data, total, limit, offset, errors}` envelope, traces with a
 * `processes` map, spans with `references` (CHILD_OF / FOLLOWS_FROM), times
 * in microseconds, typed tags. Grafana's Jaeger data source and the Jaeger
 * UI read exactly this. Pure: no I/O.
 */
import type { AttributeJson, AttributeMap, StoredSpan } from '../model/stored-span.js'

export interface JaegerTag {
  key: string
  type: 'string' | 'bool' | 'int64' | 'float64'
  value: string | number | boolean
}

export interface JaegerSpan {
  traceID: string
  spanID: string
  flags: number
  operationName: string
  references: Array<{ refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }>
  startTime: number
  duration: number
  tags: JaegerTag[]
  logs: Array<{ timestamp: number; fields: JaegerTag[] }>
  processID: string
  warnings: string[] | null
}

export interface JaegerTrace {
  traceID: string
  spans: JaegerSpan[]
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>
  warnings: string[] | null
}

export interface JaegerEnvelope<T> {
  data: T
  total: number
  limit: number
  offset: number
  errors: Array<{ code: number; msg: string }> | null
}

export function envelope<T>(data: T, total = 0): JaegerEnvelope<T> {
  return { data, total, limit: 0, offset: 0, errors: null }
}

export function errorEnvelope(code: number, msg: string): JaegerEnvelope<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] }
}

function tagOf(key: string, value: AttributeJson): JaegerTag {
  if (typeof value === 'boolean') return { key, type: 'bool', value }
  if (typeof value === 'number') return Number.isInteger(value) ? { key, type: 'int64', value } : { key, type: 'float64', value }
  if (typeof value === 'string') return { key, type: 'string', value }
  return { key, type: 'string', value: JSON.stringify(value) }
}

function tagsOf(attributes: AttributeMap): JaegerTag[] {
  const tags: JaegerTag[] = []
  for (const key of Object.keys(attributes)) tags.push(tagOf(key, attributes[key]!))
  return tags
}

/** Epoch ms (fractional) -> whole microseconds, as Jaeger counts. */
function micros(ms: number): number {
  return Math.round(ms * 1000)
}

export function toJaegerTrace(traceId: string, spans: readonly StoredSpan[], warnings: string[]): JaegerTrace {
  const processes: JaegerTrace['processes'] = {}
  const processIds = new Map<string, string>()
  const jaegerSpans: JaegerSpan[] = []
  for (const span of spans) {
    const resourceKey = JSON.stringify(span.resource)
    let processId = processIds.get(resourceKey)
    if (processId === undefined) {
      processId = `p${processIds.size + 1}`
      processIds.set(resourceKey, processId)
      const { ['service.name']: _service, ...rest } = span.resource
      processes[processId] = { serviceName: span.service, tags: tagsOf(rest) }
    }
    const references: JaegerSpan['references'] = []
    if (span.parentSpanId !== null) references.push({ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId })
    for (const link of span.links) references.push({ refType: 'FOLLOWS_FROM', traceID: link.traceId, spanID: link.spanId })
    const tags = tagsOf(span.attributes)
    // The tags Jaeger's own OTLP translator adds, which Jaeger clients key on.
    if (span.kind !== 'UNSPECIFIED') tags.push({ key: 'span.kind', type: 'string', value: span.kind.toLowerCase() })
    if (span.status.code !== 'UNSET') tags.push({ key: 'otel.status_code', type: 'string', value: span.status.code })
    if (span.status.message !== '') tags.push({ key: 'otel.status_description', type: 'string', value: span.status.message })
    if (span.status.code === 'ERROR') tags.push({ key: 'error', type: 'bool', value: true })
    if (span.scope.name !== '') tags.push({ key: 'otel.scope.name', type: 'string', value: span.scope.name })
    if (span.scope.version !== '') tags.push({ key: 'otel.scope.version', type: 'string', value: span.scope.version })
    if (span.traceState !== '') tags.push({ key: 'w3c.tracestate', type: 'string', value: span.traceState })
    jaegerSpans.push({
      traceID: span.traceId,
      spanID: span.spanId,
      flags: 1,
      operationName: span.name,
      references,
      startTime: micros(span.startTimeUnixMs),
      duration: micros(span.durationMs),
      tags,
      logs: span.events.map((event) => ({
        timestamp: micros(event.timeUnixMs),
        fields: [{ key: 'event', type: 'string', value: event.name }, ...tagsOf(event.attributes)],
      })),
      processID: processId,
      warnings: null,
    })
  }
  return { traceID: traceId, spans: jaegerSpans, processes, warnings: warnings.length > 0 ? warnings : null }
}
