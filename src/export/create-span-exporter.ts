/**
 * Picks the SpanExporter for `exporter.type`.
 */
import type { Registry, RegistryContentType } from 'prom-client'
import type { ExporterConfig } from '../config/proxy-config.js'
import type { SpanExporter } from '../span/span-exporter.js'
import type { ResourceAttributes } from '../span/span-record.js'
import { ConsoleSpanExporter } from './console-span-exporter.js'
import type { OtlpExportPool } from './export-worker-pool.js'
import { NoopSpanExporter } from './noop-span-exporter.js'
import { createOtlpSpanExporter } from './otlp-span-exporter.js'
import type { ExporterLog } from './otlp-span-exporter.js'

export interface SpanExporterDeps {
  resource: ResourceAttributes
  registry: Registry<RegistryContentType>
  log: ExporterLog
  /** `type: otlp`: the process's export pool, shared with the log exporter; without it the span exporter starts its own. */
  pool?: OtlpExportPool
}

export function createSpanExporter(config: ExporterConfig, deps: SpanExporterDeps): SpanExporter {
  switch (config.type) {
    case 'otlp':
      return createOtlpSpanExporter({ config, resource: deps.resource, registry: deps.registry, log: deps.log, pool: deps.pool })
    case 'none':
      return new NoopSpanExporter(deps.registry)
    case 'console':
      return new ConsoleSpanExporter({ registry: deps.registry })
    default: {
      const type: never = config.type
      throw new Error(`exporter.type: '${String(type)}' is not one of otlp, none, console`)
    }
  }
}
