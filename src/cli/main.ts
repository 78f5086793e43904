import { applyCollectorHeapDefaults, applyProxyHeapDefaults } from './heap-defaults.js'

/**
 * `tracecar <command>`: dispatches to one module per command, loaded on demand
 * so that `tracecar proxy` does not pay for the collector's SQLite or gRPC.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<void>> }> = {
  proxy: {
    summary: 'the sidecar: trace every request to one HTTP service',
    load: async () => {
      // Before its modules load: the heap growing factor is the sidecar's (see heap-defaults.ts).
      applyProxyHeapDefaults()
      return (await import('./proxy-command.js')).runProxyCommand
    },
  },
  inject: {
    summary: 'add the sidecar to Kubernetes manifests (tracecar inject -f deploy.yaml | kubectl apply -f -)',
    load: async () => (await import('./inject-command.js')).runInjectCommand,
  },
  uninject: {
    summary: 'take the sidecar out of manifests that tracecar inject wrote',
    load: async () => (await import('./inject-command.js')).runUninjectCommand,
  },
  webhook: {
    summary: 'mutating admission webhook: inject pods as they are created (HTTPS, AdmissionReview v1)',
    load: async () => (await import('./webhook-command.js')).runWebhookCommand,
  },
  collector: {
    summary: 'receive OTLP traces and logs, store them, serve the query API and UI',
    load: async () => {
      applyCollectorHeapDefaults()
      return (await import('./collector-command.js')).runCollectorCommand
    },
  },
  demo: {
    summary: 'start a collector, sample services behind sidecars and traffic (npm start)',
    load: async () => (await import('./demo-command.js')).runDemoCommand,
  },
  load: {
    summary: 'autocannon load where every request is a trace; reports the slowest requests and errors with their traces',
    load: async () => (await import('./load-command.js')).runLoadCommand,
  },
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length))
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return `usage: tracecar <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'tracecar <command> --help' describes a command's options.\n`
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`tracecar: unknown command '${name}'\n\n${usage()}`)
    process.exitCode = 2
    return
  }
  const run = await command.load()
  await run(rest)
}
