import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Small "legacy" services for the demo: they know nothing about tracing. Each
 * copies only `x-request-id` and `traceparent` onto its outbound calls — the
 * way many frameworks copy headers on for logging — and writes a plain access
 * log line that includes the `x-trace-id` header the sidecar injected, like an
 * nginx `$http_x_trace_id` log format would.
 */
export interface SampleService {
  name: string
  port: number
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
  log: (line: string) => void
}

export async function startSampleService(behaviour: ServiceBehaviour): Promise<SampleService> {
  const server = http.createServer((req, res) => {
    const started = Date.now()
    const forwarded: Record<string, string> = {}
    for (const name of ['x-request-id', 'traceparent', 'tracestate']) {
      const value = req.headers[name]
      if (typeof value === 'string') forwarded[name] = value
    }
    req.resume()
    const respond = (status: number, body: string): void => {
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(body)
        behaviour.log(
          `${req.socket.remoteAddress} - - [${new Date().toISOString()}] "${req.method} ${req.url} HTTP/1.1" ${status} ${body.length} ` +
            `trace_id=${req.headers['x-trace-id'] ?? '-'} rt=${Date.now() - started}ms`,
        )
      }, behaviour.delayMs())
    }
    callAll(behaviour.calls(), forwarded)
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
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function callAll(urls: string[], headers: Record<string, string>): Promise<number[]> {
  const statuses: number[] = []
  for (const url of urls) {
    const res = await fetch(url, { headers })
    await res.arrayBuffer()
    statuses.push(res.status)
  }
  return statuses
}
