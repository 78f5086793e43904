import { stopOnSignals } from './stop-on-signals.js'
import { parseArgs } from 'node:util'
import { FlagError, INJECT_FLAG_SPEC, INJECT_FLAGS_HELP, injectOptionsFromFlags, type InjectFlagValues } from '../k8s/inject-flags.js'
import { startWebhookServer } from '../k8s/webhook-server.js'

const HELP = `usage: tracecar webhook [options]

A mutating admission webhook (AdmissionReview v1) over HTTPS: pods created in namespaces
the MutatingWebhookConfiguration selects (label tracecar.io/inject=enabled in
config/k8s/) get the sidecar, exactly as 'tracecar inject' would add it. Anything it
cannot handle is allowed unchanged (register it with failurePolicy: Ignore).
POST /mutate takes reviews; GET /healthz answers ok. The certificate and key are
re-read when their files change.

  --host <address>                listen address (default 0.0.0.0: the API server calls it)
  --port <port>                   listen port, 0 for any (default 8443)
  --tls-cert-file <path>          PEM certificate (default /etc/tracecar/tls/tls.crt)
  --tls-key-file <path>           PEM private key (default /etc/tracecar/tls/tls.key)

${INJECT_FLAGS_HELP}
docs/kubernetes.md: install order, certificates, which namespaces.
`

/**
 * `tracecar webhook`: prints {"event":"listening","port":N} on stdout once it serves;
 * SIGTERM/SIGINT stop it (exit 0).
 */
export async function runWebhookCommand(argv: string[]): Promise<void> {
  const fail = (message: string): void => {
    process.stderr.write(`tracecar webhook: ${message}\n`)
    process.exitCode = 2
  }
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-key-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...INJECT_FLAG_SPEC,
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    fail(`${(error as Error).message} ('tracecar webhook --help' lists the options)`)
    return
  }
  if (values.help) {
    process.stdout.write(HELP)
    return
  }
  const portText = values.port ?? '8443'
  const port = Number(portText)
  if (!/^[0-9]+$/.test(portText) || port > 65535) {
    fail(`--port ${JSON.stringify(portText)}: expected a port from 0 to 65535`)
    return
  }
  let inject
  try {
    inject = injectOptionsFromFlags(values as InjectFlagValues)
  } catch (error) {
    if (error instanceof FlagError) {
      fail(error.message)
      return
    }
    throw error
  }
  const log = (line: string): void => {
    process.stderr.write(`tracecar webhook: ${line}\n`)
  }
  let server
  try {
    server = await startWebhookServer({
      host: values.host ?? '0.0.0.0',
      port,
      certFile: values['tls-cert-file'] ?? '/etc/tracecar/tls/tls.crt',
      keyFile: values['tls-key-file'] ?? '/etc/tracecar/tls/tls.key',
      inject,
      log,
    })
  } catch (error) {
    fail(`cannot start: ${(error as Error).message}`)
    return
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.port })}\n`)
  log(`listening on ${values.host ?? '0.0.0.0'}:${server.port}; sidecar image ${inject.image}, capture ${inject.capture}`)
  stopOnSignals(log, {
    announce: (signal) => `${signal}: stopping`,
    close: async () => {
      await server.close()
      return undefined
    },
  })
}
