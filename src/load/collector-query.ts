/**
 * The two collector query-API calls the load report needs (docs/api.md, "Query API"),
 * over plain fetch with a timeout. Every failure becomes a `CollectorUnavailable`
 * whose message says what was tried and what went wrong, because the report prints
 * it as the reason the trace part is missing.
 */
import type { ServicesResponse, TraceResponse } from '../query-api/query-api-types.js'

export class CollectorUnavailable extends Error {
  override readonly name = 'CollectorUnavailable'
}

export class CollectorQuery {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  /** Throws CollectorUnavailable unless the query API answers `/api/services`. */
  async probe(): Promise<void> {
    const body = await this.getJson('/api/services')
    if (body === undefined || !Array.isArray((body as Partial<ServicesResponse>).services)) {
      throw new CollectorUnavailable(`${this.baseUrl}/api/services did not answer like a tracecar collector (no "services" list)`)
    }
  }

  /** The trace, or undefined while the collector does not know it (404). */
  async trace(traceId: string): Promise<TraceResponse | undefined> {
    const body = (await this.getJson(`/api/traces/${encodeURIComponent(traceId)}`)) as TraceResponse | undefined
    if (body === undefined) return undefined
    if (!Array.isArray(body.spans)) throw new CollectorUnavailable(`${this.baseUrl}/api/traces/${traceId} answered without a "spans" list`)
    return { traceId: body.traceId, spans: body.spans, warnings: Array.isArray(body.warnings) ? body.warnings : [] }
  }

  /** JSON of a 200, undefined for a 404, CollectorUnavailable for anything else. */
  private async getJson(path: string): Promise<unknown> {
    const url = this.baseUrl + path
    let response: Response
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } })
    } catch (err) {
      throw new CollectorUnavailable(`cannot reach the collector at ${this.baseUrl}: ${describeFetchError(err, this.timeoutMs)}`)
    }
    if (response.status === 404) {
      await response.body?.cancel()
      return undefined
    }
    if (response.status !== 200) {
      const text = (await response.text().catch(() => '')).slice(0, 200)
      throw new CollectorUnavailable(`${url} answered HTTP ${response.status}${text ? `: ${text}` : ''}`)
    }
    try {
      return await response.json()
    } catch {
      throw new CollectorUnavailable(`${url} did not answer JSON; is ${this.baseUrl} the collector's query API (port 16686)?`)
    }
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (nothing listens there; start it with `tracecar collector` or pass --collector URL)'
  if (cause?.code !== undefined) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`
  if (cause?.message !== undefined) return cause.message
  return err instanceof Error ? err.message : String(err)
}
