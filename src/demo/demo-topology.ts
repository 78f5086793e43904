import type { AddressInfo } from 'node:net'
import { loadProxyConfig } from '../config/index.js'
import { createSpanExporter } from '../export/index.js'
import { createMetricsRegistry } from '../proxy/proxy-metrics.js'
import { startSidecar } from '../proxy/sidecar.js'
import type { Sidecar } from '../proxy/sidecar.js'
import { detectResource } from '../resource/resource.js'
import { startSampleService } from './sample-services.js'
import type { SampleService } from './sample-services.js'

/**
 * frontend → checkout → payments, inventory: four sample services, each behind
 * its own sidecar, configured exactly as `tracecar proxy` would be from flags.
 * payments is slow now and then (1 in 10 requests waits 300–600 ms); inventory
 * fails sometimes (1 in 15 answers 500).
 */
export interface DemoTopology {
  /** The frontend's sidecar: where traffic goes. */
  entryUrl: string
  services: Array<{ name: string; sidecarUrl: string; servicePort: number }>
  close(): Promise<void>
}

export interface DemoOptions {
  /** The frontend's sidecar port, where traffic and `tracecar load` go (0 = any free port). */
  entryPort: number
  /** Extra `tracecar proxy` flags for every sidecar (the exporter and its endpoint). */
  sidecarArgs: string[]
  /** A service's own access-log line (plain text, with the injected trace id). */
  accessLog(service: string, line: string, isError: boolean): void
  /** The sidecars' own messages (exporter trouble). */
  log(line: string): void
}

export async function startDemoTopology(options: DemoOptions): Promise<DemoTopology> {
  const sidecars: Sidecar[] = []
  const services: SampleService[] = []
  const urls = new Map<string, string>()

  async function add(name: string, calls: () => string[], delayMs: () => number, fails: () => boolean, routes: string[], listenPort = 0): Promise<void> {
    const service = await startSampleService({
      name,
      calls,
      delayMs,
      fails,
      log: (line, isError) => options.accessLog(name, line, isError),
    })
    services.push(service)
    const config = loadProxyConfig({
      argv: [
        '--upstream',
        `http://127.0.0.1:${service.port}`,
        '--service',
        name,
        '--listen-host',
        '127.0.0.1',
        '--listen-port',
        String(listenPort),
        '--admin-port',
        '0',
        '--outbound-port',
        '0',
        '--access-log=false',
        ...routes.flatMap((r) => ['--route', r]),
        ...options.sidecarArgs,
      ],
      env: {},
    })
    // Each sidecar is its own process in real life: its own registry and exporter.
    const registry = createMetricsRegistry()
    const exporter = createSpanExporter(config.exporter, {
      resource: detectResource(config, {}),
      registry,
      log: (line) => options.log(`[${name} sidecar] ${line}`),
    })
    const sidecar = await startSidecar(config, { exporter, registry }).catch(async (err: unknown) => {
      await exporter.shutdown(1000)
      throw err
    })
    sidecars.push(sidecar)
    if (sidecar.outbound !== undefined) service.useProxy(`http://127.0.0.1:${sidecar.outbound.forward.port}`)
    urls.set(name, `http://127.0.0.1:${(sidecar.inbound as AddressInfo).port}`)
  }

  const closeAll = async (): Promise<void> => {
    // Front to back, so that no sidecar is gone while a caller still needs it.
    for (const sidecar of sidecars.reverse()) await sidecar.shutdown()
    for (const service of services) await service.close()
  }
  const chance = (p: number) => () => Math.random() < p
  try {
    await add(
      'payments',
      () => [],
      () => (Math.random() < 0.1 ? 300 + Math.random() * 300 : 5 + Math.random() * 10),
      () => false,
      ['/charge'],
    )
    await add(
      'inventory',
      () => [],
      () => 2 + Math.random() * 5,
      chance(1 / 15),
      ['/reserve/:sku'],
    )
    await add(
      'checkout',
      () => [`${urls.get('inventory')}/reserve/sku-${Math.floor(Math.random() * 100)}`, `${urls.get('payments')}/charge`],
      () => 3,
      () => false,
      ['/cart', '/checkout'],
    )
    await add(
      'frontend',
      () => [`${urls.get('checkout')}/checkout`],
      () => 1,
      () => false,
      ['/', '/buy'],
      options.entryPort,
    )
  } catch (err) {
    // A taken --entry-port: what did start must not keep the process alive.
    await closeAll()
    throw err
  }

  return {
    entryUrl: urls.get('frontend')!,
    services: services.map((s) => ({ name: s.name, sidecarUrl: urls.get(s.name)!, servicePort: s.port })),
    close: closeAll,
  }
}
