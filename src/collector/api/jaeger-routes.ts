/**
 * Jaeger query HTTP API, mounted at /api/jaeger so that Grafana's Jaeger data
 * source (URL http://host:16686/api/jaeger) and other Jaeger clients read
 * tracecar. Supported: GET /api/services, /api/services/:service/operations,
 * /api/operations?service=&spanKind=, /api/traces (service, operation, tags
 * (JSON object or logfmt) or tag=k:v, all on the same span, start/end in µs,
 * lookback, minDuration and maxDuration as Go durations, limit, default 100),
 * /api/traces/:traceID,
 * /api/dependencies (endTs, lookback in ms). See docs/api.md.
 */
import type { ServerResponse } from 'node:http'
import type { CollectorRoute } from '../http/route.js'
import { sendJson } from '../../http/http-answer.js'
import type { QueryStores } from './query-routes.js'
import { envelope, errorEnvelope, toJaegerTrace } from './jaeger-format.js'
import { durationMs } from '../../units/duration.js'
import {
  checkRange,
  limitParam,
  MAX_DURATION_MS,
  MAX_UNIX_MS,
  normalizeTraceId,
  optionalInRange,
  optionalString,
  optionalUnixMs,
  QueryParamError,
} from './query-params.js'
import { orderTraceForDisplay } from './trace-order.js'
import { SEARCH_BUDGET_MS } from './query-routes.js'
import type { SpanReader, TraceQuery } from '../store/store-roles.js'
import type { StoredSpan } from '../model/stored-span.js'

const PREFIX = '/api/jaeger'
/** What Jaeger's query service returns when no limit is given. */
const JAEGER_DEFAULT_LIMIT = 100

function jaegerBadRequest(res: ServerResponse, message: string): void {
  sendJson(res, 400, errorEnvelope(400, message))
}

/**
 * `tags` as Grafana's Jaeger data source and Jaeger's UI send it: a JSON object
 * (`{"error":"true"}`) or logfmt (`error=true http.route="/cart"`); plus
 * repeated `tag=key:value`.
 */
function tagsFromUrl(url: URL): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = []
  const tags = optionalString(url, 'tags')
  if (tags !== undefined) out.push(...(tags.trimStart().startsWith('{') ? jsonTags(tags) : logfmtTags(tags)))
  for (const raw of url.searchParams.getAll('tag')) {
    const colon = raw.indexOf(':')
    if (colon <= 0) throw new QueryParamError(`tag=${JSON.stringify(raw)} must be key:value`)
    out.push({ key: raw.slice(0, colon), value: raw.slice(colon + 1) })
  }
  return out
}

function jsonTags(json: string): Array<{ key: string; value: string }> {
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    throw new QueryParamError(`tags=${JSON.stringify(json)} must be a JSON object like {"http.status_code":"500"} or logfmt like http.status_code=500`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new QueryParamError('tags must be a JSON object of key: value')
  return Object.entries(parsed as Record<string, unknown>).map(([key, value]) => ({ key, value: String(value) }))
}

/** key=value pairs separated by blanks; a value may be "quoted" (with \" and \\ escapes). */
const LOGFMT_PAIR = /\s*([^\s="]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*/y

function logfmtTags(text: string): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = []
  LOGFMT_PAIR.lastIndex = 0
  while (LOGFMT_PAIR.lastIndex < text.length) {
    const at = LOGFMT_PAIR.lastIndex
    const m = LOGFMT_PAIR.exec(text)
    if (m === null) {
      throw new QueryParamError(
        `tags=${JSON.stringify(text)} is not logfmt at ${JSON.stringify(text.slice(at, at + 20))}: use key=value pairs (key="a value" with blanks) or a JSON object`,
      )
    }
    out.push({ key: m[1]!, value: m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]! })
  }
  return out
}

export function jaegerRoutes(stores: Pick<QueryStores, 'spans' | 'dependencies'>): CollectorRoute[] {
  const store = stores.spans
  const wrap = (route: CollectorRoute): CollectorRoute => ({
    ...route,
    path: PREFIX + route.path,
    handle: (req, res, params, url) => {
      const badRequest = (err: unknown): void => {
        if (!(err instanceof QueryParamError)) throw err
        jaegerBadRequest(res, err.message)
      }
      try {
        const result = route.handle(req, res, params, url)
        return result instanceof Promise ? result.catch(badRequest) : result
      } catch (err) {
        badRequest(err)
      }
    },
  })
  const routes: CollectorRoute[] = [
    {
      method: 'GET',
      path: '/api/services',
      handle: async (_q, res) => {
        const services = await store.services()
        sendJson(res, 200, envelope(services, services.length))
      },
    },
    {
      method: 'GET',
      path: '/api/services/:service/operations',
      handle: async (_q, res, params) => {
        const names = [...new Set((await store.operations(params.service!)).map((op) => op.name))]
        sendJson(res, 200, envelope(names, names.length))
      },
    },
    {
      method: 'GET',
      path: '/api/operations',
      handle: async (_q, res, _p, url) => {
        const service = optionalString(url, 'service')
        if (service === undefined) throw new QueryParamError('service is required')
        const spanKind = optionalString(url, 'spanKind')
        const ops = (await store.operations(service))
          .map((op) => ({ name: op.name, spanKind: op.spanKind === 'UNSPECIFIED' ? '' : op.spanKind.toLowerCase() }))
          .filter((op) => spanKind === undefined || op.spanKind === spanKind)
        sendJson(res, 200, envelope(ops, ops.length))
      },
    },
    {
      method: 'GET',
      path: '/api/traces',
      handle: async (_q, res, _p, url) => {
        const endUs = optionalInRange(url, 'end', 0, MAX_UNIX_MS * 1000, 'a Unix time in microseconds')
        let startUs = optionalInRange(url, 'start', 0, MAX_UNIX_MS * 1000, 'a Unix time in microseconds')
        const lookback = optionalString(url, 'lookback')
        if (startUs === undefined && lookback !== undefined && lookback !== 'custom') {
          const ms = durationMs(lookback)
          if (ms === undefined) throw new QueryParamError(`lookback=${JSON.stringify(lookback)} must be like 1h, 2d or 30m`)
          checkRange('lookback', ms, 0, MAX_DURATION_MS, 'a duration in milliseconds (1h, 2d, 30m)')
          // A lookback reaching before 1970 means "everything".
          startUs = Math.max(0, ((endUs ?? Date.now() * 1000) / 1000 - ms) * 1000)
        }
        const duration = (name: string): number | undefined => {
          const raw = optionalString(url, name)
          if (raw === undefined) return undefined
          // Jaeger sends Go durations (1.5s, 250us, 1m30s); the product's grammar reads them and more.
          const ms = durationMs(raw)
          if (ms === undefined) throw new QueryParamError(`${name}=${JSON.stringify(raw)} must be a duration like 100ms, 1.5s or 2m`)
          checkRange(name, ms, 0, MAX_DURATION_MS, 'a duration in milliseconds (100ms, 1.5s, 2m)')
          return ms
        }
        const operation = optionalString(url, 'operation')
        const found = await findWholeTraces(store, {
          service: optionalString(url, 'service'),
          operation: operation === 'all' ? undefined : operation,
          startUnixMs: startUs === undefined ? undefined : startUs / 1000,
          endUnixMs: endUs === undefined ? undefined : endUs / 1000,
          minDurationMs: duration('minDuration'),
          maxDurationMs: duration('maxDuration'),
          // Jaeger's rule: every tag holds on the span that matches service, operation and duration.
          spanTags: tagsFromUrl(url),
          limit: limitParam(url, 'limit', JAEGER_DEFAULT_LIMIT, 1500),
          budgetMs: SEARCH_BUDGET_MS,
        })
        const data = found.map(({ traceId, spans }) => {
          const ordered = orderTraceForDisplay(spans)
          return toJaegerTrace(traceId, ordered.spans, ordered.warnings)
        })
        sendJson(res, 200, envelope(data, data.length))
      },
    },
    {
      method: 'GET',
      path: '/api/traces/:traceId',
      handle: async (_q, res, params) => {
        const traceId = normalizeTraceId(params.traceId!)
        if (traceId === undefined) throw new QueryParamError(`${JSON.stringify(params.traceId)} is not a trace id (hex, up to 32 digits)`)
        const spans = await store.getTrace(traceId)
        if (spans.length === 0) {
          sendJson(res, 404, errorEnvelope(404, 'trace not found'))
          return
        }
        const ordered = orderTraceForDisplay(spans)
        sendJson(res, 200, envelope([toJaegerTrace(traceId, ordered.spans, ordered.warnings)], 1))
      },
    },
    {
      method: 'GET',
      path: '/api/dependencies',
      handle: async (_q, res, _p, url) => {
        const endTs = optionalUnixMs(url, 'endTs') ?? Date.now()
        const lookback = optionalInRange(url, 'lookback', 0, 31 * 86_400_000, 'milliseconds (at most 31 days)') ?? 86_400_000
        const edges = (await stores.dependencies.dependencies(endTs - lookback, endTs)).map((e) => ({
          parent: e.parent,
          child: e.child,
          callCount: e.callCount,
        }))
        sendJson(res, 200, envelope(edges, edges.length))
      },
    },
  ]
  return routes.map(wrap)
}

/**
 * The traces a search finds, read whole, newest first. Where the store can give the found ids
 * alone, the traces are read once (rather than once to summarize them and again whole).
 */
async function findWholeTraces(store: SpanReader, query: TraceQuery): Promise<Array<{ traceId: string; spans: StoredSpan[] }>> {
  const traceIds =
    store.findTraceIds !== undefined ? (await store.findTraceIds(query)).traceIds : (await store.findTraces(query)).traces.map((summary) => summary.traceId)
  const traces = store.getTraces !== undefined ? await store.getTraces(traceIds) : await Promise.all(traceIds.map((id) => store.getTrace(id)))
  // A trace gone since (retention) is left out. Each trace's spans are in start order: its first span starts it.
  const found = traceIds
    .map((traceId, i) => ({ traceId, spans: traces[i]! }))
    .filter((trace) => trace.spans.length > 0)
    .map((trace) => ({ ...trace, startNs: BigInt(trace.spans[0]!.startTimeUnixNano) }))
  return found.sort((a, b) => (b.startNs > a.startNs ? 1 : b.startNs < a.startNs ? -1 : 0))
}
