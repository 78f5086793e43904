import { fileURLToPath } from 'node:url'
import { checkObservability, startCollector } from '../collector/index.js'
import type { Collector } from '../collector/index.js'
import { startDemoTopology } from '../demo/demo-topology.js'
import type { DemoTopology } from '../demo/demo-topology.js'
import { startLogShipper } from '../demo/log-shipper.js'
import type { LogShipper } from '../demo/log-shipper.js'
import { watchForExampleTraces } from '../demo/example-traces.js'
import { parseCollectorFlags } from './collector-command.js'
import { commandSchema, type CommandSchema } from '../config/command-schema.js'
import { ConfigError } from '../config/config-error.js'
import { commandSettings } from './command-settings.js'
import { commandHelpText } from '../config/help-text.js'
import { resolveConfig } from '../config/resolve-config.js'
import { nonEmptyString, port, type ValueType } from '../config/value-types.js'
import { stopOnSignals } from './stop-on-signals.js'

/** frontend's sidecar port when nothing else is asked for: the sidecar's own default inbound port. */
const DEFAULT_ENTRY_PORT = 15006

/** Requests per second into frontend: above 0, at most 1000. */
function requestRate(): ValueType<number> {
  const expected = 'requests per second, above 0 and at most 1000'
  return {
    placeholder: '<n>',
    expected,
    flagShape: 'single',
    parse(input) {
      const n = typeof input === 'number' ? input : typeof input === 'string' && /^\s*\d*\.?\d+\s*$/.test(input) ? Number(input) : NaN
      return n > 0 && n <= 1000 ? { ok: true, value: n } : { ok: false, problem: `expected ${expected}` }
    },
    show: String,
  }
}

/** `tracecar demo`'s settings, through the config machinery (flags, TRACECAR_DEMO_*, a YAML file, --help). */
export const DEMO_SCHEMA: CommandSchema = commandSchema('demo', [
  { path: 'rate', type: requestRate(), default: 5, flag: 'rate', description: 'Requests per second into frontend.' },
  {
    path: 'dataDir',
    type: nonEmptyString('a folder path', '<dir>'),
    default: './data/demo',
    flag: 'data-dir',
    description: "Where the demo's database lives.",
  },
  { path: 'httpPort', type: port(), default: 16686, flag: 'http-port', description: 'UI and API port.' },
  { path: 'otlpHttpPort', type: port(), default: 4318, flag: 'otlp-http-port', description: 'OTLP/HTTP port.' },
  { path: 'otlpGrpcPort', type: port(), default: 4317, flag: 'otlp-grpc-port', description: 'OTLP/gRPC port.' },
  { path: 'entryPort', type: port(), default: DEFAULT_ENTRY_PORT, flag: 'entry-port', description: "frontend's sidecar, where traffic enters." },
])

const demoHelp = (): string =>
  commandHelpText(
    DEMO_SCHEMA,
    [
      'Usage: tracecar demo [flags]',
      '',
      'Starts a collector (OTLP, store, API and UI), four sample services',
      '(frontend -> checkout -> payments, inventory), each behind its own tracecar',
      'sidecar, and a steady trickle of traffic through them. payments is slow now and',
      'then, inventory fails sometimes; the services write plain access logs carrying',
      'the trace id their sidecar injected, shipped to the collector. It prints the',
      "UI's address, then links to two traces of this run once they are whole: one",
      'where payments was slow and one that failed. Ctrl-C stops everything cleanly.',
    ],
    ["It also prints a ready-to-paste `tracecar load` command against frontend's", "sidecar, reporting from the demo's collector.", ''],
  )

/** Rules written for the sample services (config/, two levels above src/cli or dist/cli). */
const DEMO_ALERT_RULES = fileURLToPath(new URL('../../config/demo-alerts.yaml', import.meta.url))

export async function runDemoCommand(argv: string[]): Promise<void> {
  const startedAtMs = Date.now()
  const values = commandSettings(argv, demoHelp, () => resolveConfig(DEMO_SCHEMA, { argv, env: process.env }))
  if (values === undefined) return
  const setting = <T>(path: string): T => values.get(path)!.value as T
  const rate = setting<number>('rate')
  const entryPort = setting<number>('entryPort')

  let collectorOptions
  try {
    // The same options `tracecar collector` takes, so the demo's collector is the real one.
    const parsed = parseCollectorFlags([
      '--data-dir',
      setting<string>('dataDir'),
      '--http-port',
      String(setting<number>('httpPort')),
      '--otlp-http-port',
      String(setting<number>('otlpHttpPort')),
      '--otlp-grpc-port',
      String(setting<number>('otlpGrpcPort')),
      '--retention',
      '24h',
    ])
    if (parsed === 'help') return
    collectorOptions = parsed
  } catch (err) {
    if (err instanceof ConfigError) return failConfig(err)
    throw err
  }

  const say = (line: string): void => {
    process.stdout.write(`tracecar demo: ${line}\n`)
  }
  const warn = (line: string): void => {
    process.stderr.write(`tracecar demo: ${line}\n`)
  }

  let collector: Collector | undefined
  let topology: DemoTopology | undefined
  let shipper: LogShipper | undefined
  let traffic: NodeJS.Timeout | undefined
  let stopWatching: (() => void) | undefined
  let stopping = false
  const stop = stopOnSignals(warn, {
    announce: () => {
      stopping = true
      clearInterval(traffic)
      stopWatching?.()
      return 'stopping: draining the sidecars, flushing spans and logs...'
    },
    close: async () => {
      await topology?.close()
      await shipper?.close()
      await collector?.close()
      return undefined
    },
  })
  // A closed stdout (`tracecar demo | head`) ends the demo instead of crashing it.
  process.stdout.on('error', () => stop())

  try {
    // RED metrics (/api/metrics/*, /metrics), the Loki and raw log endpoints, /api/alerts: docs/logs-metrics-alerts.md.
    collector = await startCollector({ ...collectorOptions, log: warn, observability: checkObservability({ alertRulesPath: DEMO_ALERT_RULES }) })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE') {
      return fail(
        `a port is already in use (${e.message}); is another collector running? Pick others with --http-port, --otlp-http-port and --otlp-grpc-port (0 = any free port)`,
      )
    }
    throw err
  }
  const otlpUrl = `http://127.0.0.1:${collector.ports.otlpHttp}`
  const uiUrl = `http://127.0.0.1:${collector.ports.http}`
  shipper = startLogShipper(`${otlpUrl}/v1/logs`, warn)
  try {
    topology = await startDemoTopology({
      entryPort,
      sidecarArgs: ['--exporter', 'otlp', '--otlp-endpoint', `${otlpUrl}/v1/traces`, '--schedule-delay-ms', '500', '--export-workers', '1'],
      accessLog: (service, line, isError) => shipper?.ship(service, line, isError),
      log: warn,
    })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      await shipper.close()
      await collector.close()
      return fail(`port ${entryPort} for frontend's sidecar is already in use (${(err as Error).message}); pick another with --entry-port (0 = any free port)`)
    }
    throw err
  }
  if (stopping) return

  say(`collector storing in ${collectorOptions.dataDir}; OTLP on ${otlpUrl} (HTTP) and 127.0.0.1:${collector.ports.otlpGrpc} (gRPC)`)
  say(`services: ${topology.services.map((s) => `${s.name} (sidecar ${s.sidecarUrl})`).join(', ')}`)
  say(`traffic: ${rate} request(s)/s to ${topology.entryUrl}/buy`)
  say(`open the UI: ${uiUrl}/`)
  say(`load test it, each request its own trace: ${demoLoadCommand(topology.entryUrl, uiUrl)}`)

  const entryUrl = topology.entryUrl
  traffic = setInterval(() => {
    fetch(`${entryUrl}/buy`)
      .then((res) => res.arrayBuffer())
      .catch(() => {})
  }, 1000 / rate)

  // Only this run's traces: the data folder keeps earlier runs' traces for a day.
  stopWatching = watchForExampleTraces(uiUrl, startedAtMs, {
    slow: (traceId, durationMs, paymentsMs) =>
      say(`a slow trace (${durationMs.toFixed(0)} ms, ${paymentsMs.toFixed(0)} ms of it in payments): ${uiUrl}/trace/${traceId}`),
    failing: (traceId) => say(`a failing trace: ${uiUrl}/trace/${traceId}`),
  })
}

/**
 * The `tracecar load` command line for the demo's front door, ready to paste: the
 * entry sidecar's URL and this collector's query API, whatever ports were picked.
 */
export function demoLoadCommand(entryUrl: string, collectorUrl: string): string {
  return `npx tracecar load ${entryUrl}/buy -c 10 -d 30 --collector ${collectorUrl}`
}

function fail(message: string): void {
  process.stderr.write(`tracecar demo: ${message}\n`)
  process.exitCode = 2
}

/** A config error is already one line starting `tracecar: bad config:`. */
function failConfig(error: ConfigError): void {
  process.stderr.write(`${error.message}\n`)
  process.exitCode = 2
}
