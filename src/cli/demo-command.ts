import { parseArgs } from 'node:util'
import { startDemoTopology } from '../demo/demo-topology.js'
import { PrintingSpanExporter } from '../demo/printing-span-exporter.js'

const HELP = `Usage: tracecar demo [--rate <requests/s>] [--quiet]

Starts four sample services (frontend -> checkout -> payments, inventory), each
behind its own tracecar sidecar, and a steady trickle of traffic through them.
payments is slow now and then, inventory fails sometimes. Every span is printed
as it finishes. Ctrl-C stops everything cleanly.
`

export async function runDemoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { rate: { type: 'string', default: '5' }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const rate = Number(values.rate)
  if (!(rate > 0 && rate <= 1000)) {
    process.stderr.write(`tracecar demo: bad --rate "${values.rate}": expected requests per second from 0 (exclusive) to 1000\n`)
    process.exitCode = 2
    return
  }
  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let close: (() => Promise<void>) | undefined
  const stop = (): void => {
    if (stopping) return
    stopping = true
    clearInterval(timer)
    process.stderr.write('tracecar demo: stopping...\n')
    ;(close?.() ?? Promise.resolve()).then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  // A closed stdout (`tracecar demo | head`) ends the demo instead of crashing it.
  process.stdout.on('error', stop)
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)

  const print = (line: string): void => {
    if (!values.quiet && !stopping) process.stdout.write(line + '\n')
  }
  const topology = await startDemoTopology({
    exporterFor: (name) => new PrintingSpanExporter(name, print),
    log: () => {},
  })
  close = topology.close
  process.stdout.write(`tracecar demo: frontend at ${topology.entryUrl}/buy (sidecars: ${topology.services.map((s) => `${s.name} ${s.sidecarUrl}`).join(', ')})\n`)

  timer = setInterval(() => {
    fetch(`${topology.entryUrl}/buy`)
      .then((res) => res.arrayBuffer())
      .catch(() => {})
  }, 1000 / rate)
}
