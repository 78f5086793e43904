/**
 * The :16686 server: the query API under /api, routes other collector parts
 * mount (metrics, alerts, logs endpoints), and the UI bundle at /.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { HttpError, markRequestStart, sendError, sendFailure } from '../../http/http-answer.js'
import { listenOn } from '../../http/listen.js'
import { StoreUnreachableError } from '../store/store-unreachable.js'
import { RouteTable } from '../http/route.js'
import { hostCheck } from '../http/allowed-hosts.js'
import type { AllowedHosts } from '../http/allowed-hosts.js'
import type { CollectorRoute } from '../http/route.js'
import { closeServer } from '../receivers/otlp-http-receiver.js'
import { jaegerRoutes } from './jaeger-routes.js'
import { queryRoutes } from './query-routes.js'
import type { QueryStores } from './query-routes.js'
import { tracePageRoutes } from './trace-page-routes.js'
import { serveStatic } from './static-files.js'

export interface ApiServerOptions {
  host: string
  port: number
  /** The store's reading roles. */
  stores: QueryStores
  /** Mounted before the built-in routes; paths are full paths (`/api/metrics/...`, `/metrics`). */
  routes?: readonly CollectorRoute[]
  uiDir?: string
  /** Host names answered besides IP addresses, localhost and `host`; 'any' for all (behind a proxy that checks Host). */
  allowedHosts?: AllowedHosts
  log: (line: string) => void
}

/**
 * Sent with every answer, UI and API alike. The UI's own policy is also in
 * index.html's <meta>, but only a header can forbid framing (clickjacking);
 * the UI never needs to be framed, sniffed as another type, or to tell other
 * sites which trace was open.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

export interface ApiServer {
  server: Server
  port: number
  close(): Promise<void>
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const table = new RouteTable([
    ...(options.routes ?? []),
    ...queryRoutes(options.stores),
    ...tracePageRoutes(options.stores.spans),
    ...jaegerRoutes(options.stores),
  ])
  const hosts = hostCheck(options.host, options.allowedHosts)
  const server = createServer((req, res) => {
    markRequestStart(res)
    for (const name in SECURITY_HEADERS) res.setHeader(name, SECURITY_HEADERS[name]!)
    if (!hosts.allows(req.headers.host)) {
      sendError(
        res,
        403,
        `Host ${JSON.stringify(req.headers.host)} is not a name this collector answers to (a guard against DNS rebinding); ` +
          'start it with --allowed-hosts <that name>, or --allowed-hosts any behind a reverse proxy that checks Host',
        'json',
      )
      return
    }
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://collector')
    } catch {
      sendError(res, 400, 'unreadable request URL', 'json')
      return
    }
    const method = req.method ?? 'GET'
    const match = table.match(method, url.pathname)
    if ('route' in match) {
      const fail = (err: unknown): void =>
        sendFailure(
          res,
          // A store server that is down is the sender's cue to retry, not a bug to log per request.
          err instanceof StoreUnreachableError ? new HttpError(503, err.message, { 'retry-after': '1' }) : err,
          'json',
          (error) => options.log(`${method} ${url.pathname} failed: ${error.stack ?? String(error)}`),
        )
      try {
        const result = match.route.handle(req, res, match.params, url)
        if (result instanceof Promise) result.catch(fail)
      } catch (err) {
        fail(err)
      }
      return
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      if (match.methodMismatch) sendError(res, 405, `${url.pathname} does not take ${method}`, 'json')
      else sendError(res, 404, `no API endpoint at ${url.pathname} (see docs/api.md)`, 'json')
      return
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendError(res, 405, `${method} is not allowed here; the UI is read with GET`, 'json')
      return
    }
    serveStatic(options.uiDir, req, res, url.pathname)
  })
  const { port } = await listenOn(server, options.port, options.host)
  return { server, port, close: () => closeServer(server) }
}
