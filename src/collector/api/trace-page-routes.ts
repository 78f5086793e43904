/**
 * The routes the UI's trace page reads (docs/api.md): the trace as compact
 * columns, one span whole when it is opened, and the spans whose attribute
 * values hold a text (find in the trace). They sit beside the JSON trace
 * route, which stays as it is for other clients.
 *
 * A store with a columns read (SQLite) answers the columns without an object
 * or an attribute map per span and a span with one indexed lookup. Otherwise the columns
 * come from whole spans, which are kept (one trace, for a minute) so that
 * the spans the user then opens, and find, do not read the trace again.
 */
import type { CollectorRoute } from '../http/route.js'
import { sendError, sendJson } from '../../http/http-answer.js'
import type { AttributeMap, StoredSpan } from '../model/stored-span.js'
import type { CompactTraceResponse, SpanResponse, TraceFindResponse } from '../../query-api/query-api-types.js'
import { encodeCompactTrace } from './compact-trace.js'
import { optionalString, QueryParamError, requireSpanId, requireTraceId } from './query-params.js'
import type { SpanReader } from '../store/store-roles.js'
import { traceColumnsOf, type TraceColumns } from '../store/trace-columns.js'

/** What these routes read of the store's span reader: a trace, and when the store offers them, its columns and one span. */
export type TraceSpansReader = Pick<SpanReader, 'getTrace' | 'getTraceColumns' | 'getSpan'>

/** How long the spans read for a trace's columns are kept for its span and find requests. */
const RECENT_TRACE_MS = 60_000
/** A bigger trace is not kept: its spans would hold too much memory for a minute. */
const MAX_KEPT_SPANS = 200_000

function notStored(traceId: string): string {
  return `trace ${traceId} is not stored (never received, or removed by retention)`
}

/** Whether an attribute value, as JSON text, contains `needle` (lower case): the UI's find rule. */
function attributesContain(attributes: AttributeMap, needle: string): boolean {
  for (const key in attributes) {
    const value = attributes[key]
    if ((typeof value === 'string' ? value : (JSON.stringify(value) ?? '')).toLowerCase().includes(needle)) return true
  }
  return false
}

export function tracePageRoutes(reader: TraceSpansReader): CollectorRoute[] {
  let recent: { traceId: string; spans: StoredSpan[]; byId: Map<string, StoredSpan>; timer: NodeJS.Timeout } | undefined
  const keep = (traceId: string, spans: StoredSpan[]) => {
    if (recent !== undefined) clearTimeout(recent.timer)
    recent = undefined
    if (spans.length === 0 || spans.length > MAX_KEPT_SPANS) return
    const byId = new Map<string, StoredSpan>()
    for (const span of spans) byId.set(span.spanId, span)
    const timer = setTimeout(() => {
      recent = undefined
    }, RECENT_TRACE_MS)
    timer.unref()
    recent = { traceId, spans, byId, timer }
  }
  const spansOf = async (traceId: string): Promise<StoredSpan[]> => {
    if (recent?.traceId === traceId) return recent.spans
    const spans = await reader.getTrace(traceId)
    keep(traceId, spans)
    return spans
  }

  return [
    {
      method: 'GET',
      path: '/api/traces/:traceId/compact',
      handle: async (_req, res, params) => {
        const traceId = requireTraceId(params.traceId!)
        // The read and encoding hold the thread (a 100,000-span trace: most of a second); the
        // page's script and styles, asked for at the same moment (the preload), go first.
        await new Promise<void>((resolve) => setImmediate(resolve))
        // Always read afresh: spans of a trace may still be arriving.
        let columns: TraceColumns | undefined
        if (reader.getTraceColumns !== undefined) {
          columns = await reader.getTraceColumns(traceId)
        } else {
          const whole = await reader.getTrace(traceId)
          keep(traceId, whole)
          columns = whole.length === 0 ? undefined : traceColumnsOf(whole)
        }
        if (columns === undefined) return sendError(res, 404, notStored(traceId), 'json')
        sendJson(res, 200, encodeCompactTrace(traceId, columns) satisfies CompactTraceResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/traces/:traceId/spans/:spanId',
      handle: async (_req, res, params) => {
        const traceId = requireTraceId(params.traceId!)
        const spanId = requireSpanId(params.spanId!)
        let span = recent?.traceId === traceId ? recent.byId.get(spanId) : undefined
        if (span === undefined && reader.getSpan !== undefined) {
          span = await reader.getSpan(traceId, spanId)
        } else if (span === undefined) {
          // Not among the kept spans (none kept, or it arrived since): read the trace again.
          if (recent?.traceId === traceId) keep(traceId, [])
          span = (await spansOf(traceId)).find((s) => s.spanId === spanId)
        }
        if (span === undefined) return sendError(res, 404, `span ${spanId} is not stored in trace ${traceId}`, 'json')
        sendJson(res, 200, { span } satisfies SpanResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/traces/:traceId/find',
      handle: async (_req, res, params, url) => {
        const traceId = requireTraceId(params.traceId!)
        const text = optionalString(url, 'text')
        if (text === undefined || text.trim() === '') throw new QueryParamError('text= is missing: give the text to look for in attribute values')
        const needle = text.trim().toLowerCase()
        const spanIds = (await spansOf(traceId)).filter((s) => attributesContain(s.attributes, needle)).map((s) => s.spanId)
        sendJson(res, 200, { spanIds } satisfies TraceFindResponse)
      },
    },
  ]
}
