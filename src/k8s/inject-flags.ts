/**
 * The flags shared by `tracecar inject` and `tracecar webhook`: the defaults for every pod
 * that has no annotation saying otherwise. Bad values are one line naming the flag.
 */
import {
  CAPTURE_MODES,
  DEFAULT_INJECT_OPTIONS,
  SIDECAR_ADMIN_PORT,
  SIDECAR_INBOUND_PORT,
  SIDECAR_OUTBOUND_PORT,
  type CaptureMode,
  type InjectOptions,
} from './inject-options.js'

export class FlagError extends Error {
  override readonly name = 'FlagError'
}

export const INJECT_FLAG_SPEC = {
  image: { type: 'string' },
  'collector-endpoint': { type: 'string' },
  capture: { type: 'string' },
  'legacy-sidecar': { type: 'boolean' },
  outbound: { type: 'boolean' },
  sampling: { type: 'string' },
  'moved-app-port': { type: 'string' },
  'app-port-env': { type: 'string' },
  'proxy-uid': { type: 'string' },
  'proxy-cpu-request': { type: 'string' },
  'proxy-memory-request': { type: 'string' },
  'proxy-memory-limit': { type: 'string' },
} as const

export type InjectFlagValues = { [K in keyof typeof INJECT_FLAG_SPEC]?: (typeof INJECT_FLAG_SPEC)[K]['type'] extends 'boolean' ? boolean : string }

const d = DEFAULT_INJECT_OPTIONS
export const INJECT_FLAGS_HELP = `Defaults for every pod (an annotation on the workload or pod template wins):
  --image <ref>                   sidecar image (default ${d.image}, the image this repository's
                                  Dockerfile builds; no registry serves it: build it with
                                    docker build -t ${d.image} .
                                  load it into the cluster (kind load docker-image ${d.image}),
                                  or push it to your registry and pass --image <registry>/${d.image})
  --collector-endpoint <url>      OTLP/HTTP base URL; annotation tracecar.io/collector-endpoint
                                  (default ${d.collectorEndpoint})
  --capture <mode>                ${CAPTURE_MODES.join(' | ')}; annotation tracecar.io/capture
                                  (default ${d.capture}: the sidecar takes the app's port and
                                  the app is given ${d.appPortEnv}=${d.movedAppPort}, so the app MUST listen on $${d.appPortEnv}
                                  (--app-port-env names another variable); for an app with a
                                  fixed port use service-target-port or iptables)
  --legacy-sidecar                a regular container instead of a native sidecar (Kubernetes < 1.29)
  --outbound                      point the app's HTTP_PROXY/HTTPS_PROXY at the sidecar (CLIENT spans);
                                  annotation tracecar.io/outbound: enabled|disabled (default: off)
  --sampling <0..1>               ratio of traces kept; annotation tracecar.io/sampling
                                  (default: the sidecar's parentbased_always_on)
  --moved-app-port <port>         move-app-port: where the app is moved to (default ${d.movedAppPort})
  --app-port-env <NAME>           move-app-port: variable telling the app its port;
                                  annotation tracecar.io/app-port-env (default ${d.appPortEnv})
  --proxy-uid <uid>               the sidecar's user id, let through by iptables (default ${d.proxyUid})
  --proxy-cpu-request <q>         (default ${d.resources.cpuRequest})
  --proxy-memory-request <q>      (default ${d.resources.memoryRequest})
  --proxy-memory-limit <q>        (default ${d.resources.memoryLimit})
Other annotations: tracecar.io/inject (enabled|disabled), tracecar.io/service-name,
tracecar.io/app-port (a port number or name).
`

const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/

export function injectOptionsFromFlags(values: InjectFlagValues): InjectOptions {
  const capture = values.capture ?? d.capture
  if (!(CAPTURE_MODES as readonly string[]).includes(capture)) {
    throw new FlagError(`--capture ${JSON.stringify(capture)}: expected one of ${CAPTURE_MODES.join(', ')}`)
  }
  const options: InjectOptions = {
    image: nonEmpty('--image', values.image ?? d.image),
    collectorEndpoint: httpUrl('--collector-endpoint', values['collector-endpoint'] ?? d.collectorEndpoint),
    capture: capture as CaptureMode,
    legacySidecar: values['legacy-sidecar'] ?? false,
    outbound: values.outbound ?? false,
    movedAppPort: integer('--moved-app-port', values['moved-app-port'], d.movedAppPort, 1, 65535),
    appPortEnv: values['app-port-env'] ?? d.appPortEnv,
    proxyUid: integer('--proxy-uid', values['proxy-uid'], d.proxyUid, 1, 2 ** 31 - 1),
    resources: {
      cpuRequest: quantity('--proxy-cpu-request', values['proxy-cpu-request'] ?? d.resources.cpuRequest),
      memoryRequest: quantity('--proxy-memory-request', values['proxy-memory-request'] ?? d.resources.memoryRequest),
      memoryLimit: quantity('--proxy-memory-limit', values['proxy-memory-limit'] ?? d.resources.memoryLimit),
    },
  }
  if ([SIDECAR_ADMIN_PORT, SIDECAR_OUTBOUND_PORT, SIDECAR_INBOUND_PORT].includes(options.movedAppPort)) {
    throw new FlagError(`--moved-app-port ${options.movedAppPort}: the sidecar uses ${SIDECAR_ADMIN_PORT}, ${SIDECAR_OUTBOUND_PORT} and ${SIDECAR_INBOUND_PORT} itself`)
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.appPortEnv)) throw new FlagError(`--app-port-env ${JSON.stringify(options.appPortEnv)}: not an environment variable name`)
  if (values.sampling !== undefined) {
    const ratio = Number(values.sampling)
    if (values.sampling.trim() === '' || !Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new FlagError(`--sampling ${JSON.stringify(values.sampling)}: expected a ratio between 0 and 1`)
    options.sampling = ratio
  }
  return options
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new FlagError(`${flag}: must not be empty`)
  return value
}

function httpUrl(flag: string, value: string): string {
  try {
    const url = new URL(value)
    if (url.protocol === 'http:' || url.protocol === 'https:') return value
  } catch {
    // reported below
  }
  throw new FlagError(`${flag} ${JSON.stringify(value)}: expected an http(s) URL`)
}

function integer(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!/^[0-9]+$/.test(text) || value < min || value > max) throw new FlagError(`${flag} ${JSON.stringify(text)}: expected an integer from ${min} to ${max}`)
  return value
}

function quantity(flag: string, value: string): string {
  if (!QUANTITY.test(value)) throw new FlagError(`${flag} ${JSON.stringify(value)}: expected a Kubernetes quantity such as 50m, 64Mi or 1`)
  return value
}
