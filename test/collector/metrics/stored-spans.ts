/**
 * Stored spans as the RED listener and the alert evaluator receive them after
 * ingest, for the rollup and alert tests: `storedSpan` with the fields those
 * tests vary (the rest empty), and `cartSpan`, number `i` of the `cart`
 * service's `GET /cart` server operation.
 */
import type { AttributeMap, SpanKindName, StoredSpan } from '../../../src/collector/model/stored-span.js'

export interface StoredSpanFields {
  traceId: string
  spanId: string
  service: string
  name: string
  /** Default SERVER. */
  kind?: SpanKindName
  endMs: number
  durationMs: number
  /** Status ERROR, else UNSET. */
  error?: boolean
  attributes?: AttributeMap
  resource?: AttributeMap
}

export function storedSpan(fields: StoredSpanFields): StoredSpan {
  return {
    traceId: fields.traceId,
    spanId: fields.spanId,
    parentSpanId: null,
    name: fields.name,
    kind: fields.kind ?? 'SERVER',
    service: fields.service,
    startTimeUnixMs: fields.endMs - fields.durationMs,
    endTimeUnixMs: fields.endMs,
    durationMs: fields.durationMs,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    traceState: '',
    status: { code: fields.error === true ? 'ERROR' : 'UNSET', message: '' },
    attributes: fields.attributes ?? {},
    resource: fields.resource ?? {},
    scope: { name: '', version: '' },
    events: [],
    links: [],
  }
}

/** `i` as a hex id of `digits` digits, padded with `pad`. */
export function hexOf(i: number, digits: number, pad = '0'): string {
  return i.toString(16).padStart(digits, pad)
}

/** Number `i` of the `cart` service's `GET /cart` spans (its trace and span id), ending at `endMs` after `durationMs`. */
export function cartSpan(i: number, endMs: number, durationMs = 5): StoredSpan {
  return storedSpan({
    traceId: hexOf(i, 32),
    spanId: hexOf(i, 16),
    service: 'cart',
    name: 'GET /cart',
    endMs,
    durationMs,
    resource: { 'service.name': 'cart' },
  })
}
