/**
 * Finds the trace a log line belongs to when the record carries no
 * structured trace id: legacy services behind a sidecar print the id the
 * sidecar handed them (`trace_id=4bf92f3577b34da6a3ce929d0e0e4736`, a JSON
 * field, or the bare 32 hex characters of a traceparent). Pure: no I/O.
 *
 * Order of preference: an explicit `trace_id`/`traceId`/`trace-id` key
 * (so a line naming a parent and a child id links to the one the key names),
 * then a W3C traceparent, then any standalone run of exactly 32 hex digits.
 * All-zero ids are invalid in W3C trace context and never match.
 */

/** `trace_id=..`, `trace_id: ..`, `"trace_id":"..."`, `traceId=..`, `trace-id=..`, `trace.id=..`. */
const KEYED = /\btrace[_\-.]?id["']?\s*[:=]\s*["']?([0-9a-fA-F]{32})(?![0-9a-fA-F])/i
const TRACEPARENT = /\b[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}\b/i
const BARE = /(?<![0-9a-zA-Z])([0-9a-fA-F]{32})(?![0-9a-zA-Z])/g

const ALL_ZERO = '00000000000000000000000000000000'

/** Extra patterns (`--log-trace-id-pattern`, `traceIdPatterns` in `CollectorOptions`): the first capture group is the trace id. */
export type TraceIdPattern = RegExp

/**
 * Returns the lowercase trace id found in `text`, or undefined. `extraPatterns`
 * are tried first, in order; their first capture group must be 32 hex digits.
 */
export function findTraceIdInText(text: string, extraPatterns: readonly TraceIdPattern[] = []): string | undefined {
  if (text.length < 32) return undefined
  for (const pattern of extraPatterns) {
    const found = validId(pattern.exec(text)?.[1])
    if (found !== undefined) return found
  }
  const keyed = validId(KEYED.exec(text)?.[1])
  if (keyed !== undefined) return keyed
  const traceparent = validId(TRACEPARENT.exec(text)?.[1])
  if (traceparent !== undefined) return traceparent
  BARE.lastIndex = 0
  for (let m = BARE.exec(text); m !== null; m = BARE.exec(text)) {
    const bare = validId(m[1])
    if (bare !== undefined) return bare
  }
  return undefined
}

function validId(candidate: string | undefined): string | undefined {
  if (candidate === undefined || candidate.length !== 32 || !/^[0-9a-fA-F]{32}$/.test(candidate)) return undefined
  const id = candidate.toLowerCase()
  return id === ALL_ZERO ? undefined : id
}
