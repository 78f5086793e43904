/**
 * A stored span (the API's Span) from the columns every store keeps: hex
 * ids, integer nanoseconds, numeric kind and status, and attributes, events
 * and links as JSON text.
 */
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../model/stored-span.js'
import type { AttributeMap, StoredSpan } from '../model/stored-span.js'
import { nanosToMs } from '../otlp/otlp-values.js'

export interface SpanColumns {
  traceId: string
  spanId: string
  parentSpanId: string | null
  name: string
  kind: number
  service: string
  startNs: bigint
  endNs: bigint
  traceState: string
  statusCode: number
  statusMessage: string
  attributesJson: string
  resource: AttributeMap
  scopeName: string
  scopeVersion: string
  /** null (or '') when the span has none */
  eventsJson: string | null
  linksJson: string | null
}

/** The fields every shape of a stored span starts with, in the order the API answers them. */
function spanHeadOf(
  c: Pick<
    SpanColumns,
    'traceId' | 'spanId' | 'parentSpanId' | 'name' | 'kind' | 'service' | 'startNs' | 'endNs' | 'traceState' | 'statusCode' | 'statusMessage'
  >,
) {
  return {
    traceId: c.traceId,
    spanId: c.spanId,
    parentSpanId: c.parentSpanId,
    name: c.name,
    kind: SPAN_KIND_NAMES[c.kind] ?? 'UNSPECIFIED',
    service: c.service,
    startTimeUnixMs: nanosToMs(c.startNs),
    endTimeUnixMs: nanosToMs(c.endNs),
    durationMs: nanosToMs(c.endNs - c.startNs),
    startTimeUnixNano: c.startNs.toString(),
    endTimeUnixNano: c.endNs.toString(),
    traceState: c.traceState,
    status: { code: STATUS_CODE_NAMES[c.statusCode] ?? 'UNSET', message: c.statusMessage },
  }
}

function eventsOf(json: string | null): StoredSpan['events'] {
  return json === null || json === '' ? [] : (JSON.parse(json) as StoredSpan['events'])
}

export function storedSpanOf(c: SpanColumns): StoredSpan {
  return {
    ...spanHeadOf(c),
    attributes: JSON.parse(c.attributesJson) as AttributeMap,
    resource: c.resource,
    scope: { name: c.scopeName, version: c.scopeVersion },
    events: eventsOf(c.eventsJson),
    links: c.linksJson === null || c.linksJson === '' ? [] : (JSON.parse(c.linksJson) as StoredSpan['links']),
  }
}
