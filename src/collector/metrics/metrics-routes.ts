/**
 * HTTP routes of the RED metrics: `/api/metrics/services`,
 * `/api/metrics/series` (JSON for the UI) and `/metrics` (OpenMetrics for
 * Prometheus). Times are Unix milliseconds; a bad parameter is a 400 naming it.
 */
import { sendJson } from '../../http/http-answer.js'
import { optionalString, QueryParamError } from '../api/query-params.js'
import type { CollectorRoute } from '../http/route.js'
import type { MetricsSeries, ServiceMetricsResponse } from '../../query-api/query-api-types.js'
import { series, servicesTable } from './red-queries.js'
import type { RedRollupStore } from '../store/store-roles.js'
import type { SpanMetricsExporter } from './span-metrics-exporter.js'

export const DEFAULT_RANGE_MS = 3600_000
const MAX_RANGE_MS = 31 * 24 * 3600_000

/** [start, end) from `start`/`end` (Unix ms; end defaults to now, start to end − 1 h). */
export function timeRange(url: URL, nowMs = Date.now()): { startMs: number; endMs: number } {
  const read = (name: string): number | undefined => {
    const v = url.searchParams.get(name)
    if (v === null || v === '') return undefined
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new QueryParamError(`${name}=${JSON.stringify(v)} must be a time in Unix milliseconds`)
    return n
  }
  const endMs = read('end') ?? nowMs
  const startMs = read('start') ?? endMs - DEFAULT_RANGE_MS
  if (startMs >= endMs) throw new QueryParamError(`start (${startMs}) must be before end (${endMs})`)
  if (endMs - startMs > MAX_RANGE_MS) throw new QueryParamError(`the range from start to end is longer than 31 days; ask for less`)
  return { startMs, endMs }
}

/**
 * `flush` writes rollups still held in memory before a query reads them. A bad
 * parameter throws `QueryParamError`, which the :16686 server answers (400).
 */
export function metricsRoutes(store: RedRollupStore, exporter: SpanMetricsExporter, flush: () => Promise<void> = async () => {}): CollectorRoute[] {
  const guarded =
    (fn: (url: URL) => Promise<unknown>): CollectorRoute['handle'] =>
    async (_req, res, _params, url) => {
      await flush()
      sendJson(res, 200, await fn(url))
    }
  return [
    {
      method: 'GET',
      path: '/api/metrics/services',
      handle: guarded(async (url) => {
        const { startMs, endMs } = timeRange(url)
        let rows = await servicesTable(store, startMs, endMs)
        const service = optionalString(url, 'service')
        if (service !== undefined) rows = rows.filter((r) => r.service === service)
        return { rows } satisfies ServiceMetricsResponse
      }),
    },
    {
      method: 'GET',
      path: '/api/metrics/series',
      handle: guarded(async (url) => {
        const service = optionalString(url, 'service')
        if (service === undefined) throw new QueryParamError('service is required, e.g. /api/metrics/series?service=checkout')
        const { startMs, endMs } = timeRange(url)
        return (await series(
          store,
          { service, operation: optionalString(url, 'operation'), spanKind: optionalString(url, 'spanKind') },
          startMs,
          endMs,
        )) satisfies MetricsSeries
      }),
    },
    {
      method: 'GET',
      path: '/metrics',
      async handle(_req, res) {
        const body = await exporter.metrics()
        res.writeHead(200, { 'content-type': exporter.contentType }).end(body)
      },
    },
  ]
}
