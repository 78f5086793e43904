/**
 * What RED and the span metrics read of a span, and nothing more: a stored
 * span is one, and the ingest path keeps this much of each span it stores
 * until the store acknowledged it, instead of the span's whole object graph
 * (attributes, events, links, resource), which a busy collector's young
 * generation would otherwise copy and promote while the batch waits.
 */
import type { AttributeMap, StatusCodeName, StoredSpan } from '../model/stored-span.js'

/** The attributes a span's HTTP status code is read from, newest convention first. */
export const HTTP_STATUS_KEYS = ['http.response.status_code', 'http.status_code'] as const

export type MeasuredSpan = Pick<StoredSpan, 'traceId' | 'spanId' | 'service' | 'name' | 'kind' | 'durationMs' | 'endTimeUnixMs'> & {
  status: Pick<StoredSpan['status'], 'code'>
  /** At least the HTTP status keys the span has. */
  attributes: AttributeMap
}

/** The attributes of a span without HTTP status ones (shared). */
export const NO_ATTRIBUTES: AttributeMap = Object.freeze({})
/** One status object per code, shared (a span's own also holds its message). */
const STATUS_OF: Record<StatusCodeName, MeasuredSpan['status']> = {
  UNSET: Object.freeze({ code: 'UNSET' }),
  OK: Object.freeze({ code: 'OK' }),
  ERROR: Object.freeze({ code: 'ERROR' }),
}

/** The part of `span` that RED reads (its HTTP status attributes only, the status code only). */
export function measuredSpanOf(span: StoredSpan): MeasuredSpan {
  let attributes = NO_ATTRIBUTES
  for (const key of HTTP_STATUS_KEYS) {
    const value = span.attributes[key]
    if (value !== undefined) {
      if (attributes === NO_ATTRIBUTES) attributes = {}
      attributes[key] = value
    }
  }
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    service: span.service,
    name: span.name,
    kind: span.kind,
    durationMs: span.durationMs,
    endTimeUnixMs: span.endTimeUnixMs,
    status: STATUS_OF[span.status.code] ?? span.status,
    attributes,
  }
}

/** The status a MeasuredSpan holds for `code`: one shared object per code. */
export function measuredStatus(code: StatusCodeName): MeasuredSpan['status'] {
  return STATUS_OF[code]
}
