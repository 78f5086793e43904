import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type client from 'prom-client'

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
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`error: ${err.message}\n`)
      })
    })
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.deps.port, this.deps.host, () => {
        this.server.off('error', reject)
        resolve(this.server.address() as AddressInfo)
      })
    })
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
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n')
      return
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/ready') {
      if (this.deps.isDraining()) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('draining\n')
        return
      }
      const problem = await probeTcp(this.deps.upstream, 1000)
      if (problem === undefined) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n')
      else res.writeHead(503, { 'content-type': 'text/plain' }).end(`upstream ${this.deps.upstream.origin} not reachable: ${problem}\n`)
    } else if (path === '/metrics') {
      const body = await this.deps.registry.metrics()
      res.writeHead(200, { 'content-type': this.deps.registry.contentType }).end(body)
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz, /ready or /metrics\n')
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
