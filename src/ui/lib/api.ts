// Fetches from the collector's query API. Every failure becomes an ApiError carrying the HTTP
// status and the server's own message, so a page can tell "not found" from "collector down".
import type {
  AlertsResponse,
  CompactTraceResponse,
  DependenciesResponse,
  ErrorResponse,
  LinkedFromResponse,
  LogsResponse,
  MetricsSeries,
  OperationsResponse,
  ServiceMetricsResponse,
  ServicesResponse,
  SpanResponse,
  TraceFindResponse,
  TraceResponse,
  TraceSearchResponse,
} from '../../query-api/query-api-types'

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

type Query = Record<string, string | number | boolean | undefined | null | string[]>

/** "?k=v&k=w" from a query object (arrays repeat their key), dropping empty values; '' when nothing is left. */
export function queryString(query: Query): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) for (const v of value) params.append(key, v)
    else params.append(key, String(value))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

export async function getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  let res: Response
  try {
    res = await fetch(`/api${path}${queryString(query)}`, { signal, headers: { accept: 'application/json' } })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError('Cannot reach the collector. Is `tracecar collector` running?', 0)
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`
    try {
      const body = (await res.json()) as Partial<ErrorResponse>
      if (typeof body.error === 'string') message = body.error
    } catch {
      // Not JSON: keep the status line.
    }
    throw new ApiError(message, res.status)
  }
  return (await res.json()) as T
}

const seg = encodeURIComponent

export const api = {
  services: (signal?: AbortSignal) => getJson<ServicesResponse>('/services', {}, signal),
  operations: (service: string, signal?: AbortSignal) => getJson<OperationsResponse>(`/services/${seg(service)}/operations`, {}, signal),
  traces: (query: Query, signal?: AbortSignal) => getJson<TraceSearchResponse>('/traces', query, signal),
  trace: (traceId: string, signal?: AbortSignal) => getJson<TraceResponse>(`/traces/${seg(traceId)}`, {}, signal),
  /** The trace page's encoding: columns, strings once, no attributes (docs/api.md). */
  compactTrace: (traceId: string, signal?: AbortSignal) => getJson<CompactTraceResponse>(`/traces/${seg(traceId)}/compact`, {}, signal),
  span: (traceId: string, spanId: string, signal?: AbortSignal) => getJson<SpanResponse>(`/traces/${seg(traceId)}/spans/${seg(spanId)}`, {}, signal),
  findInTrace: (traceId: string, text: string, signal?: AbortSignal) => getJson<TraceFindResponse>(`/traces/${seg(traceId)}/find`, { text }, signal),
  linkedFrom: (traceId: string, signal?: AbortSignal) => getJson<LinkedFromResponse>(`/traces/${seg(traceId)}/linked-from`, {}, signal),
  traceLogs: (traceId: string, query: { spanId?: string; order: 'asc' | 'desc' }, signal?: AbortSignal) =>
    getJson<LogsResponse>(`/traces/${seg(traceId)}/logs`, query, signal),
  logs: (query: { service?: string; q?: string; start: number; end: number; limit: number }, signal?: AbortSignal) =>
    getJson<LogsResponse>('/logs', query, signal),
  dependencies: (query: { start: number; end: number }, signal?: AbortSignal) => getJson<DependenciesResponse>('/dependencies', query, signal),
  serviceMetrics: (query: { start: number; end: number }, signal?: AbortSignal) => getJson<ServiceMetricsResponse>('/metrics/services', query, signal),
  metricsSeries: (query: { service: string; operation?: string; start: number; end: number }, signal?: AbortSignal) =>
    getJson<MetricsSeries>('/metrics/series', query, signal),
  alerts: (signal?: AbortSignal) => getJson<AlertsResponse>('/alerts', {}, signal),
}
