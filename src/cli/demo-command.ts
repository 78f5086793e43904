import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { checkObservability, startCollector } from '../collector/index.js'
import type { Collector } from '../collector/index.js'
import { startDemoTopology } from '../demo/demo-topology.js'
import type { DemoTopology } from '../demo/demo-topology.js'
import { startLogShipper } from '../demo/log-shipper.js'
import type { LogShipper } from '../demo/log-shipper.js'
import { watchForExampleTraces } from '../demo/example-traces.js'
import { parseCollectorFlags } from './collector-command.js'
import { ConfigError } from '../config/config-error.js'
import { stopOnSignals } from './stop-on-signals.js'

const HELP = `Usage: tracecar demo [options]

Starts a collector (OTLP, store, API and UI), four sample services
(frontend -> checkout -> payments, inventory), each behind its own tracecar
sidecar, and a steady trickle of traffic through them. payments is slow now and
then, inventory fails sometimes; the services write plain access logs carrying
the trace id their sidecar injected, shipped to the collector. It prints the
UI's address, then links to two traces of this run once they are whole: one
where payments was slow and one that failed. Ctrl-C stops everything cleanly.

  --rate <n>             requests per second into frontend (default 5)
  --data-dir <dir>       where the demo's database lives (default ./data/demo)
  --http-port <port>     UI and API port (default 16686; 0 = any free port)
  --otlp-http-port <p>   OTLP/HTTP port (default 4318; 0 = any free port)
  --otlp-grpc-port <p>   OTLP/gRPC port (default 4317; 0 = any free port)
  --entry-port <port>    frontend's sidecar, where traffic enters (default 15006;
                         0 = any free port)

It also prints a ready-to-paste \`tracecar load\` command against frontend's
sidecar, reporting from the demo's collector.
`

/** Rules written for the sample services (config/, two levels above src/cli or dist/cli). */
const DEMO_ALERT_RULES = fileURLToPath(new URL('../../config/demo-alerts.yaml', import.meta.url))

export async function runDemoCommand(argv: string[]): Promise<void> {
  const startedAtMs = Date.now()
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        rate: { type: 'string', default: '5' },
        'data-dir': { type: 'string', default: './data/demo' },
        'http-port': { type: 'string', default: '16686' },
        'otlp-http-port': { type: 'string', default: '4318' },
        'otlp-grpc-port': { type: 'string', default: '4317' },
        'entry-port': { type: 'string', default: String(DEFAULT_ENTRY_PORT) },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    return fail(`${(err as Error).message} (tracecar demo --help lists the options)`)
  }
  if (values.help === true) {
    process.stdout.write(HELP)
    return
  }
  const rate = Number(values.rate)
  if (!(rate > 0 && rate <= 1000)) return fail(`bad --rate "${values.rate}": expected requests per second from 0 (exclusive) to 1000`)
  const entryPort = Number(values['entry-port'])
  if (!/^\d+$/.test(values['entry-port']) || entryPort > 65535) return fail(`bad --entry-port "${values['entry-port']}": expected a port from 0 (any free port) to 65535`)

  let collectorOptions
  try {
    // The same options `tracecar collector` takes, so the demo's collector is the real one.
    const parsed = parseCollectorFlags([
      '--data-dir', values['data-dir'],
      '--http-port', values['http-port'],
      '--otlp-http-port', values['otlp-http-port'],
      '--otlp-grpc-port', values['otlp-grpc-port'],
      '--retention', '24h',
    ])
    if (parsed === 'help') return
    collectorOptions = parsed
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message)
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
      return fail(`a port is already in use (${e.message}); is another collector running? Pick others with --http-port, --otlp-http-port and --otlp-grpc-port (0 = any free port)`)
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

/** frontend's sidecar port when nothing else is asked for: the sidecar's own default inbound port. */
const DEFAULT_ENTRY_PORT = 15006

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
