/**
 * Trace ids printed inside the message text (Grafana's "derived fields"
 * idea): a regular expression with a named group `traceId` (hex, UUID or
 * traceparent forms) or `traceIdDecimal` (64-bit decimal), and optionally
 * `spanId` / `spanIdDecimal`. A pattern without named groups uses group 1 as
 * the trace id. Patterns are tried in order; the first giving a valid trace
 * id wins.
 */
import { normaliseSpanId, normaliseTraceId } from './trace-id-value.js'

export interface TextPattern {
  /** Shown in error messages and docs. */
  name: string
  regex: RegExp
}

export const DEFAULT_TEXT_PATTERNS: readonly TextPattern[] = [
  {
    name: 'traceparent',
    regex: /\b[0-9a-f]{2}-(?<traceId>[0-9a-f]{32})-(?<spanId>[0-9a-f]{16})-[0-9a-f]{2}\b/i,
  },
  {
    // trace_id=…, traceId: "…", x-trace-id=…, trace=…, "trace.id":"…"
    name: 'trace-id-key-value',
    regex:
      /(?<![\w.-])(?:x[-_])?trace(?:[-_.]?id)?["']?\s*[:=]\s*["']?(?<traceId>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|[0-9a-fA-F]{16})(?![0-9a-zA-Z])/i,
  },
  {
    name: 'datadog-decimal',
    regex: /\bdd\.trace_id["']?\s*[:=]\s*["']?(?<traceIdDecimal>\d{1,20})\b(?:.*?\bdd\.span_id["']?\s*[:=]\s*["']?(?<spanIdDecimal>\d{1,20})\b)?/,
  },
]

const SPAN_ID_IN_TEXT = /(?<![\w.-])(?:x[-_])?span[-_.]?id["']?\s*[:=]\s*["']?(?<spanId>[0-9a-fA-F]{16})(?![0-9a-zA-Z])/i

/** Compiles a user-supplied pattern; throws an Error naming the pattern and what is wrong. */
export function compileTextPattern(source: string, name = source): TextPattern {
  let regex: RegExp
  try {
    regex = new RegExp(source)
  } catch (err) {
    throw new Error(`trace id pattern '${name}' is not a valid regular expression: ${(err as Error).message}`)
  }
  const groups = new RegExp(`${regex.source}|`).exec('')?.length ?? 1
  const named = /\(\?<(traceId|traceIdDecimal)>/.test(source)
  if (!named && groups < 2) {
    throw new Error(`trace id pattern '${name}' has no capture group: name one (?<traceId>...) or (?<traceIdDecimal>...)`)
  }
  return { name, regex }
}

export interface IdsInText {
  traceId: string
  spanId: string
}

export function idsFromText(text: string, patterns: readonly TextPattern[] = DEFAULT_TEXT_PATTERNS): IdsInText {
  if (text === '') return { traceId: '', spanId: '' }
  for (const { regex } of patterns) {
    const m = regex.exec(text)
    if (m === null) continue
    const g = m.groups
    let traceId = ''
    if (g?.traceId !== undefined) traceId = normaliseTraceId(g.traceId)
    else if (g?.traceIdDecimal !== undefined) traceId = normaliseTraceId(g.traceIdDecimal, 'decimal')
    else if (g === undefined && m[1] !== undefined) traceId = normaliseTraceId(m[1])
    if (traceId === '') continue
    let spanId = ''
    if (g?.spanId !== undefined) spanId = normaliseSpanId(g.spanId)
    else if (g?.spanIdDecimal !== undefined) spanId = normaliseSpanId(g.spanIdDecimal, 'decimal')
    if (spanId === '') {
      const s = SPAN_ID_IN_TEXT.exec(text)
      if (s?.groups?.spanId !== undefined) spanId = normaliseSpanId(s.groups.spanId)
    }
    return { traceId, spanId }
  }
  return { traceId: '', spanId: '' }
}
