import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ProxyAgent, fetch } from 'undici'

/**
 * Small "legacy" services for the demo: they know nothing about tracing. Each
 * makes its outbound calls through an HTTP proxy (its sidecar's outbound
 * listener, as `HTTP_PROXY` would) and copies only `x-request-id` onto them —
 * the way many frameworks copy a request id on for logging, never
 * `traceparent` — so the sidecar has to join the hops itself. Each writes a
 * plain access log line that includes the `x-trace-id` header the sidecar
 * injected, like an nginx `$http_x_trace_id` log format would.
 */
export interface SampleService {
  name: string
  port: number
  /** Route outbound calls through this forward proxy (the sidecar's outbound port). */
  useProxy(proxyUrl: string): void
  close(): Promise<void>
}

export interface ServiceBehaviour {
  name: string
  /** Downstream services (their sidecar URLs) called one after the other. */
  calls: () => string[]
  /** Extra latency in ms for this request (the demo's slow path). */
  delayMs: () => number
  /** True when this request should fail with a 500. */
  fails: () => boolean
  /** One access-log line per request; `isError` for 5xx answers. */
  log: (line: string, isError: boolean) => void
}

export async function startSampleService(behaviour: ServiceBehaviour): Promise<SampleService> {
  let proxy: ProxyAgent | undefined
  const server = http.createServer((req, res) => {
    const started = Date.now()
    const forwarded: Record<string, string> = {}
    const requestId = req.headers['x-request-id']
    if (typeof requestId === 'string') forwarded['x-request-id'] = requestId
    req.resume()
    const respond = (status: number, body: string): void => {
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(body)
        behaviour.log(
          `${req.socket.remoteAddress} - - [${new Date().toISOString()}] "${req.method} ${req.url} HTTP/1.1" ${status} ${body.length} ` +
            `trace_id=${String(req.headers['x-trace-id'] ?? '-')} rt=${Date.now() - started}ms`,
          status >= 500,
        )
      }, behaviour.delayMs())
    }
    callAll(behaviour.calls(), forwarded, proxy)
      .then((statuses) => {
        if (behaviour.fails()) respond(500, JSON.stringify({ service: behaviour.name, error: 'simulated failure' }))
        else if (statuses.some((s) => s >= 500)) respond(502, JSON.stringify({ service: behaviour.name, error: 'a dependency failed', statuses }))
        else respond(200, JSON.stringify({ service: behaviour.name, ok: true }))
      })
      .catch((err: Error) => respond(502, JSON.stringify({ service: behaviour.name, error: err.message })))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    name: behaviour.name,
    port: (server.address() as AddressInfo).port,
    useProxy(proxyUrl) {
      // Plain HTTP through the proxy in absolute form, as curl and most HTTP_PROXY clients do;
      // undici would otherwise tunnel even http:// with CONNECT, hiding the request from the sidecar.
      proxy = new ProxyAgent({ uri: proxyUrl, proxyTunnel: false })
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await proxy?.close()
    },
  }
}

async function callAll(urls: string[], headers: Record<string, string>, proxy: ProxyAgent | undefined): Promise<number[]> {
  const statuses: number[] = []
  for (const url of urls) {
    const res = await fetch(url, { headers, dispatcher: proxy })
    await res.arrayBuffer()
    statuses.push(res.status)
  }
  return statuses
}
