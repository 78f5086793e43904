/**
 * The query API (docs/api.md): JSON over GET under /api. Handlers parse
 * and validate parameters, ask the store, and shape the answer; the SQL
 * lives in the store.
 */
import type { CollectorRoute } from '../http/route.js'
import { sendError, sendJson } from '../../http/http-answer.js'
import type {
  DependenciesResponse,
  LinkedFromResponse,
  LogsResponse,
  OperationsResponse,
  ServicesResponse,
  TraceResponse,
  TraceSearchResponse,
} from '../../query-api/query-api-types.js'
import type { DependencyReader, LogReader, SpanReader } from '../store/store-roles.js'
import {
  booleanParam,
  keyValueParams,
  limitParam,
  optionalNonNegative,
  optionalSpanId,
  optionalString,
  optionalUnixMs,
  QueryParamError,
  requireTraceId,
} from './query-params.js'
import { orderTraceForDisplay } from './trace-order.js'

export const MAX_TRACE_LIMIT = 1000
export const MAX_LOG_LIMIT = 5000
const DEFAULT_DEPENDENCY_WINDOW_MS = 3_600_000
const MAX_DEPENDENCY_WINDOW_MS = 31 * 86_400_000
/** A search stops after this long (returning what it found, `incomplete: true`) so that ingest is never held up. */
export const SEARCH_BUDGET_MS = 1000

/** The reading roles of the store that the API uses. */
export interface QueryStores {
  spans: SpanReader
  logs: LogReader
  dependencies: DependencyReader
}

export function queryRoutes(stores: QueryStores): CollectorRoute[] {
  const store = stores.spans
  return [
    {
      method: 'GET',
      path: '/api/services',
      handle: async (_req, res) => sendJson(res, 200, { services: await store.services() } satisfies ServicesResponse),
    },
    {
      method: 'GET',
      path: '/api/services/:service/operations',
      handle: async (_req, res, params) => sendJson(res, 200, { operations: await store.operations(params.service!) } satisfies OperationsResponse),
    },
    {
      method: 'GET',
      path: '/api/traces',
      handle: async (_req, res, _params, url) => {
        const start = optionalUnixMs(url, 'start')
        const end = optionalUnixMs(url, 'end')
        if (start !== undefined && end !== undefined && end < start) throw new QueryParamError(`end=${end} is before start=${start}`)
        const minDurationMs = optionalNonNegative(url, 'minDurationMs', 'a duration in milliseconds')
        const maxDurationMs = optionalNonNegative(url, 'maxDurationMs', 'a duration in milliseconds')
        if (minDurationMs !== undefined && maxDurationMs !== undefined && maxDurationMs < minDurationMs) {
          throw new QueryParamError(`maxDurationMs=${maxDurationMs} is below minDurationMs=${minDurationMs}`)
        }
        const result = await store.findTraces({
          service: optionalString(url, 'service'),
          operation: optionalString(url, 'operation'),
          startUnixMs: start,
          endUnixMs: end,
          minDurationMs,
          maxDurationMs,
          errorOnly: booleanParam(url, 'error') ?? false,
          attributes: keyValueParams(url, 'attr'),
          traceState: keyValueParams(url, 'tracestate'),
          limit: limitParam(url, 'limit', 20, MAX_TRACE_LIMIT),
          budgetMs: SEARCH_BUDGET_MS,
        })
        sendJson(res, 200, (result.incomplete ? { traces: result.traces, incomplete: true } : { traces: result.traces }) satisfies TraceSearchResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/traces/:traceId',
      handle: async (_req, res, params) => {
        const traceId = requireTraceId(params.traceId!)
        const spans = await store.getTrace(traceId)
        if (spans.length === 0) {
          sendError(res, 404, `trace ${traceId} is not stored (never received, or removed by retention)`, 'json')
          return
        }
        const ordered = orderTraceForDisplay(spans)
        sendJson(res, 200, { traceId, spans: ordered.spans, warnings: ordered.warnings } satisfies TraceResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/traces/:traceId/logs',
      handle: async (_req, res, params, url) => {
        const traceId = requireTraceId(params.traceId!)
        const order = optionalString(url, 'order') ?? 'asc'
        if (order !== 'asc' && order !== 'desc') throw new QueryParamError(`order=${JSON.stringify(order)} must be asc or desc`)
        const logs = await stores.logs.findLogs({ traceId, spanId: optionalSpanId(url, 'spanId'), order, limit: limitParam(url, 'limit', 1000, MAX_LOG_LIMIT) })
        sendJson(res, 200, { logs } satisfies LogsResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/traces/:traceId/linked-from',
      handle: async (_req, res, params, url) => {
        const traceId = requireTraceId(params.traceId!)
        const result = await store.findLinksTo(traceId, { limit: limitParam(url, 'limit', 50, MAX_TRACE_LIMIT), budgetMs: SEARCH_BUDGET_MS })
        sendJson(res, 200, (result.incomplete ? { links: result.links, incomplete: true } : { links: result.links }) satisfies LinkedFromResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/logs',
      handle: async (_req, res, _params, url) => {
        const rawTraceId = optionalString(url, 'traceId')
        const logs = await stores.logs.findLogs({
          service: optionalString(url, 'service'),
          traceId: rawTraceId === undefined ? undefined : requireTraceId(rawTraceId),
          spanId: optionalSpanId(url, 'spanId'),
          text: optionalString(url, 'q'),
          startUnixMs: optionalUnixMs(url, 'start'),
          endUnixMs: optionalUnixMs(url, 'end'),
          order: 'desc',
          limit: limitParam(url, 'limit', 100, MAX_LOG_LIMIT),
        })
        sendJson(res, 200, { logs } satisfies LogsResponse)
      },
    },
    {
      method: 'GET',
      path: '/api/dependencies',
      handle: async (_req, res, _params, url) => {
        const end = optionalUnixMs(url, 'end') ?? Date.now()
        const start = optionalUnixMs(url, 'start') ?? end - DEFAULT_DEPENDENCY_WINDOW_MS
        if (end < start) throw new QueryParamError(`end=${end} is before start=${start}`)
        if (end - start > MAX_DEPENDENCY_WINDOW_MS) throw new QueryParamError(`the window from start to end is over 31 days; ask for a shorter one`)
        sendJson(res, 200, { edges: await stores.dependencies.dependencies(start, end) } satisfies DependenciesResponse)
      },
    },
  ]
}
