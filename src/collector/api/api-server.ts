/**
 * The :16686 server: the query API under /api, routes other collector parts
 * mount (metrics, alerts, logs endpoints), and the UI bundle at /.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { markRequestStart, RouteTable, sendJson } from '../http/route.js'
import type { CollectorRoute } from '../http/route.js'
import type { TraceStore } from '../store/trace-store.js'
import { closeServer } from '../receivers/otlp-http-receiver.js'
import { jaegerRoutes } from './jaeger-routes.js'
import { QueryParamError } from './query-params.js'
import { queryRoutes } from './query-routes.js'
import { serveStatic } from './static-files.js'

export interface ApiServerOptions {
  host: string
  port: number
  store: TraceStore
  /** Mounted before the built-in routes; paths are full paths (`/api/metrics/...`, `/metrics`). */
  routes?: readonly CollectorRoute[]
  uiDir?: string
  log: (line: string) => void
}

export interface ApiServer {
  server: Server
  port: number
  close(): Promise<void>
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const table = new RouteTable([...(options.routes ?? []), ...queryRoutes(options.store), ...jaegerRoutes(options.store)])
  const server = createServer((req, res) => {
    markRequestStart(res)
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://collector')
    } catch {
      sendJson(res, 400, { error: 'unreadable request URL' })
      return
    }
    const method = req.method ?? 'GET'
    const match = table.match(method, url.pathname)
    if ('route' in match) {
      const fail = (err: unknown): void => {
        if (res.headersSent) {
          res.destroy()
          return
        }
        if (err instanceof QueryParamError) {
          sendJson(res, 400, { error: err.message })
          return
        }
        options.log(`${method} ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`)
        sendJson(res, 500, { error: `internal error: ${(err as Error).message}` })
      }
      try {
        const result = match.route.handle(req, res, match.params, url)
        if (result instanceof Promise) result.catch(fail)
      } catch (err) {
        fail(err)
      }
      return
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      if (match.methodMismatch) sendJson(res, 405, { error: `${url.pathname} does not take ${method}` })
      else sendJson(res, 404, { error: `no API endpoint at ${url.pathname} (see docs/api.md)` })
      return
    }
    if (method !== 'GET' && method !== 'HEAD') {
      sendJson(res, 405, { error: `${method} is not allowed here; the UI is read with GET` })
      return
    }
    serveStatic(options.uiDir, req, res, url.pathname)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return { server, port: (server.address() as AddressInfo).port, close: () => closeServer(server) }
}
