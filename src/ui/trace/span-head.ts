// What the trace page holds of every span: its place in the tree, times, names and status, where
// a call went and when its events happened; everything else (attributes, resource, links, event
// attributes) is fetched for the one span that is opened. Decoded from the query API's compact
// trace (`/api/traces/:traceId/compact`, docs/api.md).
import type { CompactTraceResponse, SpanKindName, StatusCodeName } from '../../query-api/query-api-types'
import type { TimedSpan } from '../../trace-analysis/timed-span'

export interface SpanHead extends TimedSpan {
  traceId: string
  kind: SpanKindName
  durationMs: number
  status: { code: StatusCodeName; message: string }
  /** where an outgoing call went ('' when its attributes do not say) */
  callTarget: string
  events: { name: string; timeUnixMs: number }[]
}

const STATUS: StatusCodeName[] = ['UNSET', 'OK', 'ERROR']
const NO_EVENTS: SpanHead['events'] = []

/** The columns back into one object per span, in the answer's (display) order. */
export function decodeCompactTrace(c: CompactTraceResponse): SpanHead[] {
  const started = performance.now()
  const heads = decodeCompactSpans(
    c,
    Array.from(c.spanId, (_, i) => i),
  )
  // In the Performance timeline (devtools, the UI tests): where a big trace's time goes.
  performance.measure('tracecar: decode trace', { start: started })
  return heads
}

/** The spans at `positions` (ascending) of the columns, one object each, in that order. */
export function decodeCompactSpans(c: CompactTraceResponse, positions: readonly number[]): SpanHead[] {
  const n = positions.length
  const heads = new Array<SpanHead>(n)
  const str = c.strings
  const base = c.startTimeUnixMs
  // One status object per distinct code and message, shared (100,000 spans, a handful of statuses).
  const statuses = new Map<number, SpanHead['status']>()
  const statusOf = (code: number, message: number) => {
    const key = message * 4 + code
    let status = statuses.get(key)
    if (status === undefined) statuses.set(key, (status = { code: STATUS[code] ?? 'UNSET', message: str[message]! }))
    return status
  }
  // The head of each decoded position: every position when the whole trace is decoded.
  const at = n === c.spanId.length ? undefined : new Map(positions.map((p, k) => [p, k]))
  for (let k = 0; k < n; k++) {
    const i = positions[k]!
    const start = base + c.startOffsetNs[i]! / 1e6
    const durationMs = c.durationNs[i]! / 1e6
    const p = c.parent[i]!
    heads[k] = {
      traceId: c.traceId,
      spanId: c.spanId[i]!,
      parentSpanId: p >= 0 ? c.spanId[p]! : null,
      service: str[c.service[i]!]!,
      name: str[c.name[i]!]!,
      kind: str[c.kind[i]!] as SpanKindName,
      startTimeUnixMs: start,
      endTimeUnixMs: start + durationMs,
      durationMs,
      status: statusOf(c.statusCode[i]!, c.statusMessage[i]!),
      callTarget: str[c.callTarget[i]!]!,
      events: NO_EVENTS,
    }
  }
  for (let e = 0; e < c.eventSpan.length; e++) {
    const k = at === undefined ? c.eventSpan[e]! : at.get(c.eventSpan[e]!)
    if (k === undefined) continue
    const head = heads[k]!
    if (head.events === NO_EVENTS) head.events = []
    head.events.push({ name: str[c.eventName[e]!]!, timeUnixMs: base + c.eventOffsetNs[e]! / 1e6 })
  }
  return heads
}
