import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type client from 'prom-client'
import { sendError, sendFailure, sendText } from '../http/http-answer.js'
import { listenOn } from '../http/listen.js'

export interface AdminDeps {
  host: string
  port: number
  registry: client.Registry<client.OpenMetricsContentType>
  upstream: URL
  /** True once shutdown began: /ready then answers 503 so load balancers stop sending. */
  isDraining(): boolean
}

/**
 * The admin listener (loopback by default): `/healthz` (the process is up),
 * `/ready` (the upstream accepts connections and we are not shutting down),
 * `/metrics` (OpenMetrics, with exemplars).
 */
export class AdminServer {
  readonly server: http.Server

  constructor(private readonly deps: AdminDeps) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => sendFailure(res, err, 'text'))
    })
  }

  listen(): Promise<AddressInfo> {
    return listenOn(this.server, this.deps.port, this.deps.host)
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve())
      this.server.closeAllConnections()
    })
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'method not allowed', 'text', { allow: 'GET, HEAD' })
      return
    }
    if (path === '/healthz') {
      sendText(res, 200, 'ok\n')
    } else if (path === '/ready') {
      if (this.deps.isDraining()) {
        sendError(res, 503, 'draining', 'text')
        return
      }
      const problem = await probeTcp(this.deps.upstream, 1000)
      if (problem === undefined) sendText(res, 200, 'ready\n')
      else sendError(res, 503, `upstream ${this.deps.upstream.origin} not reachable: ${problem}`, 'text')
    } else if (path === '/metrics') {
      const body = await this.deps.registry.metrics()
      res.writeHead(200, { 'content-type': this.deps.registry.contentType }).end(body)
    } else {
      sendError(res, 404, 'not found: try /healthz, /ready or /metrics', 'text')
    }
  }
}

/** Resolves undefined when a TCP connection to the URL's host and port opens in time, else the reason. */
function probeTcp(url: URL, timeoutMs: number): Promise<string | undefined> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (problem: string | undefined): void => {
      socket.destroy()
      resolve(problem)
    }
    socket.setTimeout(timeoutMs, () => done(`no connection within ${timeoutMs} ms`))
    socket.once('connect', () => done(undefined))
    socket.once('error', (err: Error & { code?: string }) => done(err.code ?? err.message))
  })
}
