import { stopOnSignals } from './stop-on-signals.js'
import { commandSettings } from './command-settings.js'
import { resolveConfig } from '../config/resolve-config.js'
import { WEBHOOK_SCHEMA, injectOptionsFrom, k8sHelpText } from '../k8s/inject-flags.js'
import { startWebhookServer } from '../k8s/webhook-server.js'

const help = (): string =>
  k8sHelpText(
    WEBHOOK_SCHEMA,
    [
      'Usage: tracecar webhook [flags]',
      '',
      'A mutating admission webhook (AdmissionReview v1) over HTTPS: pods created in namespaces',
      'the MutatingWebhookConfiguration selects (label tracecar.io/inject=enabled in',
      "config/k8s/) get the sidecar, exactly as 'tracecar inject' would add it. Anything it",
      'cannot handle is allowed unchanged (register it with failurePolicy: Ignore).',
      'POST /mutate takes reviews; GET /healthz answers ok. The certificate and key are',
      're-read when their files change. The pod settings are the defaults for every pod',
      '(an annotation on the workload or pod template wins).',
    ],
    ['docs/kubernetes.md: install order, certificates, which namespaces.', ''],
  )

/**
 * `tracecar webhook`: prints {"event":"listening","port":N} on stdout once it serves;
 * SIGTERM/SIGINT stop it (exit 0).
 */
export async function runWebhookCommand(argv: string[]): Promise<void> {
  const fail = (message: string): void => {
    process.stderr.write(`tracecar webhook: ${message}\n`)
    process.exitCode = 2
  }
  const settings = commandSettings(argv, help, () => {
    const values = resolveConfig(WEBHOOK_SCHEMA, { argv, env: process.env })
    return { values, inject: injectOptionsFrom(values) }
  })
  if (settings === undefined) return
  const { values, inject } = settings
  const setting = <T>(path: string): T => values.get(path)!.value as T
  const host = setting<string>('host')
  const log = (line: string): void => {
    process.stderr.write(`tracecar webhook: ${line}\n`)
  }
  let server
  try {
    server = await startWebhookServer({
      host,
      port: setting<number>('port'),
      certFile: setting<string>('tls.certFile'),
      keyFile: setting<string>('tls.keyFile'),
      inject,
      log,
    })
  } catch (error) {
    fail(`cannot start: ${(error as Error).message}`)
    return
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.port })}\n`)
  log(`listening on ${host}:${server.port}; sidecar image ${inject.image}, capture ${inject.capture}`)
  stopOnSignals(log, {
    announce: (signal) => `${signal}: stopping`,
    close: async () => {
      await server.close()
      return undefined
    },
  })
}
