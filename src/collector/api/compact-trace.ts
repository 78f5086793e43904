/**
 * A trace in the columnar shape of `GET /api/traces/:traceId/compact`
 * (docs/api.md): one array per field, strings interned, times as integer
 * nanoseconds after the earliest start, no attribute maps (only what the
 * waterfall draws from them: where a call went, when events happened). A 10,000-span
 * trace is ~6× smaller than its `/api/traces/:traceId` JSON and parses in a
 * fraction of the time, which is what the trace page waits for.
 * Pure: no I/O.
 */
import type { CompactTraceResponse } from '../../query-api/query-api-types.js'
import { nanosToMs } from '../otlp/otlp-values.js'
import type { StoredSpan } from '../model/stored-span.js'

const STATUS_CODES: Record<string, number> = { UNSET: 0, OK: 1, ERROR: 2 }

/** What the columns carry of a span. */
export type CompactedSpan = Pick<
  StoredSpan,
  'spanId' | 'parentSpanId' | 'service' | 'name' | 'kind' | 'startTimeUnixNano' | 'endTimeUnixNano' | 'status' | 'attributes' | 'events'
>

/** Where an outgoing call went, when the span name alone ("GET") does not say. */
export function callTarget(span: Pick<StoredSpan, 'kind' | 'attributes'>): string {
  // The attributes read here are CALL_TARGET_ATTRIBUTES (store/store-roles.ts), all a span outline keeps.
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

/** `spans` in display order (orderTraceForDisplay), at least one. */
export function encodeCompactTrace(traceId: string, spans: readonly CompactedSpan[], warnings: string[]): CompactTraceResponse {
  const strings: string[] = ['']
  const indexOf = new Map<string, number>([['', 0]])
  const intern = (text: string): number => {
    let index = indexOf.get(text)
    if (index === undefined) {
      index = strings.length
      strings.push(text)
      indexOf.set(text, index)
    }
    return index
  }
  const position = new Map<string, number>()
  spans.forEach((span, i) => position.set(span.spanId, i))
  let earliest = spans[0]!.startTimeUnixNano
  for (const span of spans) if (nanosBefore(span.startTimeUnixNano, earliest)) earliest = span.startTimeUnixNano
  const startNs = BigInt(earliest)
  const offsetNs = nanosAfter(earliest)
  const n = spans.length
  const out: CompactTraceResponse = {
    traceId,
    warnings,
    strings,
    startTimeUnixMs: nanosToMs(startNs),
    spanId: new Array<string>(n),
    parent: new Array<number>(n),
    service: new Array<number>(n),
    name: new Array<number>(n),
    kind: new Array<number>(n),
    startOffsetNs: new Array<number>(n),
    durationNs: new Array<number>(n),
    statusCode: new Array<number>(n),
    statusMessage: new Array<number>(n),
    callTarget: new Array<number>(n),
    eventSpan: [],
    eventOffsetNs: [],
    eventName: [],
  }
  for (let i = 0; i < n; i++) {
    const span = spans[i]!
    out.spanId[i] = span.spanId
    // A parent that is not stored, or the span itself, makes a root, as the display order already has it.
    const parent = span.parentSpanId === null || span.parentSpanId === span.spanId ? undefined : position.get(span.parentSpanId)
    out.parent[i] = parent ?? -1
    out.service[i] = intern(span.service)
    out.name[i] = intern(span.name)
    out.kind[i] = intern(span.kind)
    const startOffset = offsetNs(span.startTimeUnixNano)
    out.startOffsetNs[i] = startOffset
    out.durationNs[i] = offsetNs(span.endTimeUnixNano) - startOffset
    out.statusCode[i] = STATUS_CODES[span.status.code] ?? 0
    out.statusMessage[i] = intern(span.status.message)
    out.callTarget[i] = intern(callTarget(span))
    for (const event of span.events) {
      out.eventSpan.push(i)
      // An event's time has only milliseconds here (the stored event keeps no nanoseconds): whole microseconds are exact enough to place a tick.
      out.eventOffsetNs.push(Math.round((event.timeUnixMs - out.startTimeUnixMs) * 1000) * 1000)
      out.eventName.push(intern(event.name))
    }
  }
  return out
}

/** Whether decimal nanoseconds `a` is before `b` (both non-negative integers without leading zeros). */
function nanosBefore(a: string, b: string): boolean {
  return a.length !== b.length ? a.length < b.length : a < b
}

/**
 * Nanoseconds after `base` as an exact double, without a BigInt per value: the last 15 digits
 * of a time are below 2^53, so when both times agree above them the difference is a plain
 * subtraction. Only a trace spanning a 10^15 ns (11.6 days) boundary takes the BigInt path.
 * Offsets within a trace fit a double exactly (2^53 ns is 104 days).
 */
function nanosAfter(base: string): (nanos: string) => number {
  const high = base.slice(0, -15)
  const low = Number(base.slice(-15))
  const baseNs = BigInt(base)
  return (nanos) => (nanos.length === base.length && nanos.startsWith(high) ? Number(nanos.slice(-15)) - low : Number(BigInt(nanos) - baseNs))
}
