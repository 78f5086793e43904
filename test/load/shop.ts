import type http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'
import { createSpanExporter } from '../../src/export/index.js'
import { createMetricsRegistry } from '../../src/proxy/proxy-metrics.js'
import { startSidecar } from '../../src/proxy/sidecar.js'
import { detectResource } from '../../src/resource/resource.js'
import { startHttpServer, type TestServer } from '../helpers/servers.js'

/**
 * Two services, each behind its own real sidecar that exports OTLP/HTTP to
 * `otlpEndpoint` (a live collector, or a port nothing listens on):
 *
 *   load ─► [checkout sidecar] ─► checkout ─► [inventory sidecar] ─► inventory
 *
 * checkout forwards the traceparent its sidecar gave it, so inventory's span is a
 * child of checkout's. inventory has a known slow path (every 20th request it
 * serves sleeps SLOW_MS) and known errors (every 25th answers 500, which checkout
 * passes on); it remembers the trace ids of both, as its sidecar told it them in
 * x-trace-id.
 */

export const SLOW_EVERY = 20
// Well above the scheduling noise of a loaded machine: with 2 cores shared by
// several test runs, requests that do no sleeping at all were seen taking up to
// 960 ms. With 1500 ms "the slowest" stays unambiguous.
export const SLOW_MS = 1500
export const ERROR_EVERY = 25

export interface Shop {
  /** The checkout sidecar: the load target's origin. */
  url: string
  slowTraceIds: string[]
  errorTraceIds: string[]
  inventoryRequests: () => number
  /**
   * Sends `count` requests through both sidecars (first connections, the export
   * workers, JIT) and then starts the slow/error counting afresh, so that cold-start
   * latency does not compete with the known slow path.
   */
  warmUp(count?: number): Promise<void>
  close(): Promise<void>
}

interface RunningSidecar {
  url: string
  shutdown(): Promise<unknown>
}

async function startExportingSidecar(upstream: string, service: string, otlpEndpoint: string): Promise<RunningSidecar> {
  const config = loadProxyConfig({
    argv: [
      '--upstream',
      upstream,
      '--service',
      service,
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      '0',
      '--admin-port',
      '0',
      '--outbound-enabled=false',
      '--access-log=false',
      '--exporter',
      'otlp',
      '--otlp-endpoint',
      otlpEndpoint,
      '--schedule-delay-ms',
      '200',
      '--export-workers',
      '1',
      '--export-max-attempts',
      '5',
      '--otlp-timeout-ms',
      '10000',
    ],
    env: {},
  })
  const registry = createMetricsRegistry()
  const exporter = createSpanExporter(config.exporter, { resource: detectResource(config, {}), registry, log: () => {} })
  const sidecar = await startSidecar(config, { exporter, registry })
  return { url: `http://127.0.0.1:${sidecar.inbound.port}`, shutdown: () => sidecar.shutdown() }
}

export async function startShop(otlpEndpoint: string): Promise<Shop> {
  const slowTraceIds: string[] = []
  const errorTraceIds: string[] = []
  let served = 0

  const inventory = await startHttpServer((req, res) => {
    const n = ++served
    const traceId = String(req.headers['x-trace-id'] ?? '')
    void (async () => {
      if (n % SLOW_EVERY === 0) {
        slowTraceIds.push(traceId)
        await sleep(SLOW_MS)
      }
      if (n % ERROR_EVERY === 0) {
        errorTraceIds.push(traceId)
        res.writeHead(500, { 'content-type': 'text/plain' }).end('out of stock')
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('in stock')
    })()
  })
  const inventorySidecar = await startExportingSidecar(inventory.url, 'inventory', otlpEndpoint)

  const checkout: TestServer = await startHttpServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers: Record<string, string> = {}
    if (typeof req.headers.traceparent === 'string') headers.traceparent = req.headers.traceparent
    if (typeof req.headers.tracestate === 'string') headers.tracestate = req.headers.tracestate
    fetch(`${inventorySidecar.url}/stock`, { headers }).then(
      async (answer) => {
        const text = await answer.text()
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(`checkout: ${text}`)
      },
      (err: Error) => res.writeHead(502).end(err.message),
    )
  })
  const checkoutSidecar = await startExportingSidecar(checkout.url, 'checkout', otlpEndpoint)

  return {
    url: checkoutSidecar.url,
    slowTraceIds,
    errorTraceIds,
    inventoryRequests: () => served,
    warmUp: async (count = 2 * SLOW_EVERY) => {
      for (let i = 0; i < count; i++) await (await fetch(`${checkoutSidecar.url}/warm-up`)).text()
      served = 0
      slowTraceIds.length = 0
      errorTraceIds.length = 0
    },
    close: async () => {
      await checkoutSidecar.shutdown()
      await inventorySidecar.shutdown()
      await checkout.close()
      await inventory.close()
    },
  }
}
