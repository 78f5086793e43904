import type { AddressInfo } from 'node:net'
import client from 'prom-client'
import type { ProxyConfig } from '../config/proxy-config.js'
import type { LogRecordExporter } from '../export/otlp-log-record.js'
import type { ExportReport, SpanExporter } from '../span/span-exporter.js'
import { AccessLog } from './access-log.js'
import { AdminServer } from './admin-server.js'
import type { ExchangeObserver } from './exchange.js'
import { InboundProxy } from './inbound-proxy.js'
import { InflightExchanges } from './inflight-exchanges.js'
import { RawInboundProxy } from './raw-inbound-proxy.js'
import { OutboundMetrics } from './outbound-metrics.js'
import { OutboundProxy } from './outbound-proxy.js'
import { OtlpAccessLog } from './otlp-access-log.js'
import type { OutboundAddresses } from './outbound-proxy.js'
import { createMetricsRegistry, ProxyMetrics } from './proxy-metrics.js'
import { SpanObserver } from './span-builder.js'
import { createTracePropagation } from './trace-propagation.js'
import { WorkerProcessJoin } from './worker-process-join.js'

export interface SidecarDeps {
  /** Where spans go; the CLI builds the OTLP exporter, tests pass a MemorySpanExporter. */
  exporter: SpanExporter
  /** Shared with the exporter so its drop counters appear on the same /metrics. */
  registry?: client.Registry<client.OpenMetricsContentType>
  /** accessLog.otlp: where access log records go as OTLP logs (the CLI builds an OtlpLogExporter on the span exporter's worker pool). */
  logExporter?: LogRecordExporter
}

export interface ShutdownReport {
  /** Requests still open at the drain deadline and cut short. */
  requestsCut: number
  spans: ExportReport
}

/** A running sidecar: the inbound proxy, its admin listener, and their observers. */
export interface Sidecar {
  inbound: AddressInfo
  admin: AddressInfo | undefined
  /** The forward proxy and named routes; undefined with outbound.enabled false. */
  outbound: OutboundAddresses | undefined
  registry: client.Registry<client.OpenMetricsContentType>
  /** SIGTERM: stop accepting, drain in-flight requests, flush spans and the access log. */
  shutdown(): Promise<ShutdownReport>
}

export async function startSidecar(config: ProxyConfig, deps: SidecarDeps): Promise<Sidecar> {
  const registry = deps.registry ?? createMetricsRegistry()
  const accessLog = config.accessLog.enabled ? new AccessLog(config.accessLog.destination, config.serviceName) : undefined
  const observers: ExchangeObserver[] = [new SpanObserver(deps.exporter), new ProxyMetrics(registry)]
  if (accessLog !== undefined) observers.push(accessLog)
  if (deps.logExporter !== undefined) observers.push(new OtlpAccessLog(deps.logExporter, config.serviceName))

  if (accessLog !== undefined) {
    new client.Counter({
      name: 'tracecar_access_log_dropped_lines_total',
      help: 'Access-log lines not written: the destination could not keep up (more than its bound was waiting) or failed.',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(accessLog.droppedLines)
      },
    })
  }
  const observerErrors = new client.Counter({
    name: 'tracecar_observer_errors_total',
    help: 'Exchanges whose span, metrics or access-log observer threw (a tracecar bug; the request itself was not affected).',
    registers: [registry],
  })
  let reported = false
  const onObserverError = (err: unknown): void => {
    observerErrors.inc()
    if (reported) return
    reported = true
    process.emitWarning(`tracecar: an exchange observer failed (reported once): ${err instanceof Error ? err.stack : String(err)}`)
  }
  const propagation = createTracePropagation(config)
  const { outbound: outboundConfig } = config
  // Indexing in-flight requests costs a little per request: only when a rule reads it.
  const { join } = outboundConfig
  const byProcess = join.includes('worker-process')
  const inferring = byProcess || join.includes('sole-inbound')
  const inflight =
    outboundConfig.enabled && (join.includes('correlation') || inferring)
      ? new InflightExchanges(join.includes('correlation') ? outboundConfig.correlationHeaders : [], config.headers, {
          holdAbandoned: inferring,
          trackSockets: byProcess,
        })
      : undefined
  const inboundDeps = { config, propagation, observers, onObserverError, inflight }
  const inbound = config.httpEngine === 'raw' ? new RawInboundProxy(inboundDeps) : new InboundProxy(inboundDeps)
  const outbound = outboundConfig.enabled
    ? new OutboundProxy({
        config,
        propagation,
        inflight,
        workerProcess: byProcess && inflight !== undefined ? new WorkerProcessJoin(inflight) : undefined,
        observers,
        metrics: new OutboundMetrics(registry),
        onObserverError,
      })
    : undefined
  const admin = config.admin.enabled
    ? new AdminServer({
        host: config.admin.host,
        port: config.admin.port,
        registry,
        upstream: new URL(config.upstream),
        isDraining: () => inbound.isDraining(),
      })
    : undefined

  const inboundAddress = await inbound.listen()
  let adminAddress: AddressInfo | undefined
  let outboundAddresses: OutboundAddresses | undefined
  try {
    adminAddress = await admin?.listen()
    outboundAddresses = await outbound?.listen()
  } catch (err) {
    inbound.server.close()
    await admin?.close()
    throw err
  }

  let shuttingDown: Promise<ShutdownReport> | undefined
  return {
    inbound: inboundAddress,
    admin: adminAddress,
    outbound: outboundAddresses,
    registry,
    shutdown() {
      shuttingDown ??= (async () => {
        const [inboundCut, outboundCut] = await Promise.all([inbound.drain(config.timeouts.drainMs), outbound?.drain(config.timeouts.drainMs) ?? 0])
        const requestsCut = inboundCut + outboundCut
        const flushMs = Math.max(1000, config.exporter.timeoutMs)
        // Both signals flush at once; their shared worker pool is destroyed by whichever finishes last.
        const [spans] = await Promise.all([deps.exporter.shutdown(flushMs), deps.logExporter?.shutdown(flushMs)])
        await accessLog?.close()
        await admin?.close()
        return { requestsCut, spans }
      })()
      return shuttingDown
    },
  }
}
