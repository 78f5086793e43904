import type { ProxyConfig } from '../../src/config/proxy-config.js'
import { loadProxyConfig } from '../../src/config/load-proxy-config.js'
import { startSidecar } from '../../src/proxy/sidecar.js'
import type { Sidecar } from '../../src/proxy/sidecar.js'
import { MemorySpanExporter } from '../../src/span/span-exporter.js'

export interface TestSidecar {
  sidecar: Sidecar
  config: ProxyConfig
  spans: MemorySpanExporter
  /** http://127.0.0.1:<inbound port> */
  url: string
  adminUrl: string
  close(): Promise<void>
}

/**
 * An in-process sidecar in front of `upstream` on free loopback ports, with
 * spans kept in memory. `flags` are `tracecar proxy` flags, read by the real
 * config loader.
 */
export async function startTestSidecar(upstream: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<TestSidecar> {
  // TRACECAR_TEST_HTTP_ENGINE runs a whole suite on another inbound engine (`npm run test:raw-engine`).
  const engine = process.env.TRACECAR_TEST_HTTP_ENGINE
  const engineFlags = engine !== undefined && engine !== '' && !flags.includes('--http-engine') ? ['--http-engine', engine] : []
  const config = loadProxyConfig({
    argv: [
      '--upstream',
      upstream,
      '--listen-host',
      '127.0.0.1',
      '--listen-port',
      '0',
      '--admin-port',
      '0',
      '--outbound-port',
      '0',
      '--access-log=false',
      ...engineFlags,
      ...flags,
    ],
    env,
  })
  const spans = new MemorySpanExporter()
  const sidecar = await startSidecar(config, { exporter: spans })
  return {
    sidecar,
    config,
    spans,
    url: `http://127.0.0.1:${sidecar.inbound.port}`,
    adminUrl: `http://127.0.0.1:${sidecar.admin?.port ?? 0}`,
    close: async () => {
      await sidecar.shutdown()
    },
  }
}
