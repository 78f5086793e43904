/**
 * Finds trace and span ids in the structured fields of a log line (a JSON
 * object, Loki labels and structured metadata, OTLP attributes). A field name
 * such as `dd.trace_id` matches both a flat key `"dd.trace_id"` and nested
 * objects `{"dd": {"trace_id": ...}}`; names compare case-insensitively, so
 * `traceId`, `TraceId` and `traceid` are one entry.
 */
import type { IdFormat } from './trace-id-value.js'
import { normaliseSpanId, normaliseTraceId } from './trace-id-value.js'

export interface IdField {
  /** Field name or dotted path, e.g. `trace_id`, `dd.trace_id`. */
  field: string
  /** `decimal` for fields holding 64-bit decimal ids (Datadog). */
  format?: IdFormat
}

/** Checked in order; the first field holding a valid id wins. */
export const DEFAULT_TRACE_ID_FIELDS: readonly IdField[] = [
  { field: 'trace_id' },
  { field: 'traceId' },
  { field: 'trace.id' },
  { field: 'trace-id' },
  { field: 'x-trace-id' },
  { field: 'x_trace_id' },
  { field: 'otel.trace_id' },
  { field: 'otelTraceID' },
  { field: 'dd.trace_id', format: 'decimal' },
  { field: 'traceparent' },
  { field: 'x-b3-traceid' },
  { field: 'logging.googleapis.com/trace' },
  { field: 'trace' },
]

export const DEFAULT_SPAN_ID_FIELDS: readonly IdField[] = [
  { field: 'span_id' },
  { field: 'spanId' },
  { field: 'span.id' },
  { field: 'span-id' },
  { field: 'x-span-id' },
  { field: 'otel.span_id' },
  { field: 'otelSpanID' },
  { field: 'dd.span_id', format: 'decimal' },
  { field: 'traceparent' },
  { field: 'x-b3-spanid' },
  { field: 'logging.googleapis.com/spanId' },
]

/** The value at `path` in `fields` (case-insensitive keys, flat or nested dots); undefined when absent. */
export function lookupField(fields: Record<string, unknown>, path: string): unknown {
  return lookup(fields, path.toLowerCase(), 0)
}

function lookup(obj: Record<string, unknown>, path: string, depth: number): unknown {
  if (depth > 8) return undefined
  let nested: unknown
  for (const key of Object.keys(obj)) {
    const lower = key.toLowerCase()
    if (lower === path) return obj[key]
    if (nested === undefined && path.length > lower.length && path.charCodeAt(lower.length) === 46 /* . */ && path.startsWith(lower)) {
      const inner = obj[key]
      if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
        nested = lookup(inner as Record<string, unknown>, path.slice(lower.length + 1), depth + 1)
      }
    }
  }
  return nested
}

export function traceIdFromFields(fields: Record<string, unknown>, specs: readonly IdField[] = DEFAULT_TRACE_ID_FIELDS): string {
  return firstIdOf(fields, specs, normaliseTraceId)
}

export function spanIdFromFields(fields: Record<string, unknown>, specs: readonly IdField[] = DEFAULT_SPAN_ID_FIELDS): string {
  return firstIdOf(fields, specs, normaliseSpanId)
}

/** The first field, in the specs' order, whose value `normalise` takes as an id; '' when none does. */
function firstIdOf(fields: Record<string, unknown>, specs: readonly IdField[], normalise: (value: unknown, format: IdField['format']) => string): string {
  for (const spec of specs) {
    const value = lookupField(fields, spec.field)
    if (value === undefined || value === null) continue
    const id = normalise(value, spec.format)
    if (id !== '') return id
  }
  return ''
}
