import { stopOnSignals } from './stop-on-signals.js'
import { commandSettings } from './command-settings.js'
import { loadProxyConfig, proxyHelpText } from '../config/index.js'
import { createSpanExporter, OtlpExportPool, OtlpLogExporter } from '../export/index.js'
import { startSidecar } from '../proxy/sidecar.js'
import { createMetricsRegistry } from '../proxy/proxy-metrics.js'
import { detectResource } from '../resource/resource.js'

/**
 * `tracecar proxy`: load and validate the configuration (one clear line and
 * exit 2 on a bad value), start the sidecar, and on SIGTERM/SIGINT drain,
 * flush spans and exit 0.
 */
export async function runProxyCommand(argv: string[]): Promise<void> {
  const config = commandSettings(argv, proxyHelpText, () => loadProxyConfig({ argv, env: process.env }))
  if (config === undefined) return

  const log = (line: string): void => {
    process.stderr.write(`tracecar proxy: ${line}\n`)
  }
  const registry = createMetricsRegistry()
  const resource = detectResource(config, process.env)
  // One pool of export workers for both OTLP signals; it starts no thread until the first batch.
  const pool = config.exporter.type === 'otlp' ? new OtlpExportPool({ config: config.exporter, resource }) : undefined
  const exporter = createSpanExporter(config.exporter, { resource, registry, log, pool })
  // accessLog.otlp: access log records as OTLP logs, through the spans' pool (src/export/otlp-log-exporter.ts).
  const logExporter = config.accessLog.otlp && pool !== undefined ? new OtlpLogExporter({ pool, config: config.exporter, registry, log }) : undefined
  if (config.accessLog.otlp && logExporter === undefined)
    log(`accessLog.otlp needs exporter.type otlp (it is ${config.exporter.type}): access log records are not sent as OTLP logs`)
  const sidecar = await startSidecar(config, { exporter, registry, logExporter })
  log(
    `listening on ${sidecar.inbound.address}:${sidecar.inbound.port} -> ${config.upstream}` +
      (sidecar.admin ? `; admin on ${sidecar.admin.address}:${sidecar.admin.port}` : '') +
      (sidecar.outbound
        ? `; outbound proxy on ${sidecar.outbound.forward.address}:${sidecar.outbound.forward.port}` +
          sidecar.outbound.routes.map((r) => `; route ${r.name} on ${r.address.address}:${r.address.port} -> ${r.upstream}`).join('')
        : '') +
      `; service ${config.serviceName}; exporting ${config.exporter.type === 'otlp' ? `to ${config.exporter.endpoint}` : config.exporter.type}` +
      (logExporter !== undefined ? `; access log as OTLP logs to ${config.exporter.logsEndpoint}` : ''),
  )

  stopOnSignals(log, {
    announce: (signal) => `${signal}: draining in-flight requests (up to ${config.timeouts.drainMs} ms)`,
    close: async () => {
      const report = await sidecar.shutdown()
      return (
        `stopped: ${report.requestsCut} request(s) cut at the drain deadline; ` + `${report.spans.exported} span(s) exported, ${report.spans.dropped} dropped`
      )
    },
  })
}
