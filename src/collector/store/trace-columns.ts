/**
 * A trace's spans as columns (SpanReader.getTraceColumns): one array per
 * field, the same position in each, times as integer nanoseconds after the
 * earliest start, and of the attributes only where a call went. What the UI's
 * compact trace is made of: a store that can read these straight from its
 * rows (SQLite) makes no object per span; `traceColumnsOf` makes them from
 * whole spans for a store that cannot.
 * Pure: no I/O.
 */
import type { SpanKindName, StoredSpan, StoredSpanEvent } from '../model/stored-span.js'

export interface TraceColumns {
  /** the earliest span's start, decimal nanoseconds since the epoch: the offsets count from it */
  startTimeUnixNano: string
  spanId: string[]
  parentSpanId: (string | null)[]
  service: string[]
  name: string[]
  kind: SpanKindName[]
  /** nanoseconds after `startTimeUnixNano`, exact integers (a double holds 104 days of them) */
  startOffsetNs: number[]
  durationNs: number[]
  /** OTLP's status code: 0 unset, 1 ok, 2 error */
  statusCode: number[]
  statusMessage: string[]
  traceState: string[]
  /** where an outgoing call went (`callTarget`), '' for none */
  callTarget: string[]
  /** a span's events (only their names and times are read), null for none */
  events: (Pick<StoredSpanEvent, 'name' | 'timeUnixMs'>[] | null)[]
}

/** The attributes that say where an outgoing call went: all `callTarget` reads. */
export const CALL_TARGET_ATTRIBUTES = ['peer.service', 'url.full', 'server.address'] as const

const STATUS_CODES: Record<string, number> = { UNSET: 0, OK: 1, ERROR: 2 }

/** Where an outgoing call went, when the span name alone ("GET") does not say. */
export function callTarget(span: Pick<StoredSpan, 'kind' | 'attributes'>): string {
  if (span.kind !== 'CLIENT' && span.kind !== 'PRODUCER') return ''
  const peer = span.attributes['peer.service']
  if (typeof peer === 'string' && peer) return peer
  const url = span.attributes['url.full']
  if (typeof url === 'string') {
    try {
      const u = new URL(url)
      return `${u.host}${u.pathname}`
    } catch {
      return ''
    }
  }
  const host = span.attributes['server.address']
  return typeof host === 'string' ? host : ''
}

/** Whole spans (at least one) as columns, in the order given. */
export function traceColumnsOf(spans: readonly StoredSpan[]): TraceColumns {
  let earliest = spans[0]!.startTimeUnixNano
  for (const span of spans) if (nanosBefore(span.startTimeUnixNano, earliest)) earliest = span.startTimeUnixNano
  const offsetNs = nanosAfter(earliest)
  const columns: TraceColumns = {
    startTimeUnixNano: earliest,
    spanId: [],
    parentSpanId: [],
    service: [],
    name: [],
    kind: [],
    startOffsetNs: [],
    durationNs: [],
    statusCode: [],
    statusMessage: [],
    traceState: [],
    callTarget: [],
    events: [],
  }
  for (const span of spans) {
    const start = offsetNs(span.startTimeUnixNano)
    columns.spanId.push(span.spanId)
    columns.parentSpanId.push(span.parentSpanId)
    columns.service.push(span.service)
    columns.name.push(span.name)
    columns.kind.push(span.kind)
    columns.startOffsetNs.push(start)
    columns.durationNs.push(offsetNs(span.endTimeUnixNano) - start)
    columns.statusCode.push(STATUS_CODES[span.status.code] ?? 0)
    columns.statusMessage.push(span.status.message)
    columns.traceState.push(span.traceState)
    columns.callTarget.push(callTarget(span))
    columns.events.push(span.events.length ? span.events : null)
  }
  return columns
}

/** Whether decimal nanoseconds `a` is before `b` (both non-negative integers without leading zeros). */
function nanosBefore(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b
}

/**
 * Nanoseconds after `base` as an exact double, without a BigInt per value: the last 15 digits
 * of a time are below 2^53, so when both times agree above them the difference is a plain
 * subtraction. Only a trace spanning a 10^15 ns (11.6 days) boundary takes the BigInt path.
 */
function nanosAfter(base: string): (nanos: string) => number {
  const high = base.slice(0, -15)
  const low = Number(base.slice(-15))
  const baseNs = BigInt(base)
  return (nanos) => (nanos.length === base.length && nanos.startsWith(high) ? Number(nanos.slice(-15)) - low : Number(BigInt(nanos) - baseNs))
}
