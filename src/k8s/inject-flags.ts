/**
 * The settings of `tracecar inject`, `tracecar uninject` and `tracecar webhook`, as tables
 * of keys for the config machinery (src/config): flags, `TRACECAR_INJECT_*` /
 * `TRACECAR_WEBHOOK_*` variables (the webhook runs as a Deployment), a YAML file and
 * `--help` come from them. The inject keys, the defaults for every pod that has no
 * annotation saying otherwise, are shared by inject and the webhook.
 */
import { commandSchema, type CommandSchema } from '../config/command-schema.js'
import { badValue, showValue } from '../config/config-error.js'
import type { ConfigKey } from '../config/config-schema.js'
import { commandHelpText } from '../config/help-text.js'
import type { ResolvedValue } from '../config/resolve-config.js'
import { boolean, host, httpUrl, integer, nonEmptyString, oneOf, port, ratio, textLines, type ValueType } from '../config/value-types.js'
import {
  CAPTURE_MODES,
  DEFAULT_IMAGE,
  DEFAULT_INJECT_OPTIONS,
  SIDECAR_ADMIN_PORT,
  SIDECAR_INBOUND_PORT,
  SIDECAR_OUTBOUND_PORT,
  type CaptureMode,
  type InjectOptions,
} from './inject-options.js'

const d = DEFAULT_INJECT_OPTIONS

/** Text that must match a pattern: a Kubernetes quantity, a variable name. */
function matching(pattern: RegExp, expected: string, placeholder: string): ValueType<string> {
  return {
    placeholder,
    expected,
    flagShape: 'single',
    parse(input) {
      const text = typeof input === 'number' ? String(input) : input
      return typeof text === 'string' && pattern.test(text.trim()) ? { ok: true, value: text.trim() } : { ok: false, problem: `expected ${expected}` }
    },
    show: String,
  }
}

const quantity = (): ValueType<string> => matching(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, 'a Kubernetes quantity such as 50m, 64Mi or 1', '<q>')

/** The defaults for every pod (an annotation on the workload or pod template wins). */
export const INJECT_KEYS: readonly ConfigKey[] = [
  {
    path: 'image',
    type: nonEmptyString('an image reference', '<ref>'),
    default: d.image,
    flag: 'image',
    description:
      `The sidecar image (default ${DEFAULT_IMAGE}, the image this repository's Dockerfile builds; no registry serves it: build it with ` +
      `docker build -t ${DEFAULT_IMAGE} . and load it into the cluster (kind load docker-image ${DEFAULT_IMAGE}), or push it to your registry and pass --image <registry>/${DEFAULT_IMAGE}).`,
  },
  {
    path: 'collectorEndpoint',
    type: httpUrl(d.collectorEndpoint),
    default: d.collectorEndpoint,
    flag: 'collector-endpoint',
    description: 'OTLP/HTTP base URL of the collector; annotation tracecar.io/collector-endpoint.',
  },
  {
    path: 'capture',
    type: oneOf(CAPTURE_MODES),
    default: d.capture,
    flag: 'capture',
    description:
      `How the sidecar gets the app's traffic; annotation tracecar.io/capture (default move-app-port: the sidecar takes the app's port and ` +
      `the app is given ${d.appPortEnv}=${d.movedAppPort}, so the app MUST listen on $${d.appPortEnv} (--app-port-env names another variable); ` +
      'for an app with a fixed port use service-target-port or iptables).',
  },
  {
    path: 'legacySidecar',
    type: boolean(),
    default: false,
    flag: 'legacy-sidecar',
    description: 'A regular container instead of a native sidecar (Kubernetes < 1.29).',
  },
  {
    path: 'outbound',
    type: boolean(),
    default: false,
    flag: 'outbound',
    description: "Point the app's HTTP_PROXY/HTTPS_PROXY at the sidecar (CLIENT spans); annotation tracecar.io/outbound: enabled|disabled.",
  },
  {
    path: 'joinByWorkerProcess',
    type: boolean(),
    default: false,
    flag: 'join-by-worker-process',
    description:
      'With outbound calls through the sidecar: join each call to the request its worker process serves (prefork servers: gunicorn sync, PHP-FPM...); ' +
      "sets shareProcessNamespace: true, and the sidecar must run as the app's user to read its /proc (--proxy-uid <the app's runAsUser>).",
  },
  {
    path: 'sampling',
    type: ratio(),
    optional: true,
    defaultNote: "the sidecar's parentbased_always_on",
    flag: 'sampling',
    description: 'Ratio of traces kept; annotation tracecar.io/sampling.',
  },
  {
    path: 'movedAppPort',
    type: integer({ min: 1, max: 65535, noun: 'port number', placeholder: '<port>' }),
    default: d.movedAppPort,
    flag: 'moved-app-port',
    description: `move-app-port: where the app is moved to (not ${SIDECAR_ADMIN_PORT}, ${SIDECAR_OUTBOUND_PORT} or ${SIDECAR_INBOUND_PORT}: the sidecar's own).`,
  },
  {
    path: 'appPortEnv',
    type: matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits and _)', '<NAME>'),
    default: d.appPortEnv,
    flag: 'app-port-env',
    description: 'move-app-port: the variable telling the app its port; annotation tracecar.io/app-port-env.',
  },
  {
    path: 'proxyUid',
    type: integer({ min: 1, max: 2 ** 31 - 1, noun: 'user id', placeholder: '<uid>' }),
    default: d.proxyUid,
    flag: 'proxy-uid',
    description: "The sidecar's user id, let through by iptables.",
  },
  { path: 'proxy.cpuRequest', type: quantity(), default: d.resources.cpuRequest, flag: 'proxy-cpu-request', description: "The sidecar's CPU request." },
  {
    path: 'proxy.memoryRequest',
    type: quantity(),
    default: d.resources.memoryRequest,
    flag: 'proxy-memory-request',
    description: "The sidecar's memory request.",
  },
  { path: 'proxy.memoryLimit', type: quantity(), default: d.resources.memoryLimit, flag: 'proxy-memory-limit', description: "The sidecar's memory limit." },
]

const MANIFEST_KEYS: readonly ConfigKey[] = [
  {
    path: 'filenames',
    type: textLines('manifest files, directories or - for stdin', '<path>'),
    default: [],
    defaultNote: 'stdin',
    flag: 'filename',
    short: 'f',
    description: 'A manifest file, a directory of them, or - for stdin.',
  },
  { path: 'quiet', type: boolean(), default: false, flag: 'quiet', short: 'q', description: 'No summary on stderr.' },
]

export const INJECT_SCHEMA = commandSchema('inject', [...MANIFEST_KEYS, ...INJECT_KEYS])
export const UNINJECT_SCHEMA = commandSchema('uninject', MANIFEST_KEYS)
export const WEBHOOK_SCHEMA = commandSchema('webhook', [
  { path: 'host', type: host(), default: '0.0.0.0', flag: 'host', description: 'Listen address (the API server calls it).' },
  { path: 'port', type: port(), default: 8443, flag: 'port', description: 'Listen port, 0 for any.' },
  {
    path: 'tls.certFile',
    type: nonEmptyString('a file path', '<path>'),
    default: '/etc/tracecar/tls/tls.crt',
    flag: 'tls-cert-file',
    description: 'PEM certificate.',
  },
  {
    path: 'tls.keyFile',
    type: nonEmptyString('a file path', '<path>'),
    default: '/etc/tracecar/tls/tls.key',
    flag: 'tls-key-file',
    description: 'PEM private key.',
  },
  ...INJECT_KEYS,
])

/** The inject keys' values as InjectOptions, checking what one key cannot see alone. */
export function injectOptionsFrom(values: ReadonlyMap<string, ResolvedValue>): InjectOptions {
  const value = <T>(path: string): T => values.get(path)?.value as T
  const options: InjectOptions = {
    image: value('image'),
    collectorEndpoint: value('collectorEndpoint'),
    capture: value<CaptureMode>('capture'),
    legacySidecar: value('legacySidecar'),
    outbound: value('outbound'),
    joinByWorkerProcess: value('joinByWorkerProcess'),
    movedAppPort: value('movedAppPort'),
    appPortEnv: value('appPortEnv'),
    proxyUid: value('proxyUid'),
    resources: { cpuRequest: value('proxy.cpuRequest'), memoryRequest: value('proxy.memoryRequest'), memoryLimit: value('proxy.memoryLimit') },
  }
  const sampling = value<number | undefined>('sampling')
  if (sampling !== undefined) options.sampling = sampling
  if ([SIDECAR_ADMIN_PORT, SIDECAR_OUTBOUND_PORT, SIDECAR_INBOUND_PORT].includes(options.movedAppPort)) {
    const moved = values.get('movedAppPort')!
    throw badValue(
      'movedAppPort',
      showValue(moved.value),
      moved.origin,
      `the sidecar uses ${SIDECAR_ADMIN_PORT}, ${SIDECAR_OUTBOUND_PORT} and ${SIDECAR_INBOUND_PORT} itself`,
    )
  }
  if (options.joinByWorkerProcess && !options.outbound) {
    throw badValue(
      'joinByWorkerProcess',
      'true',
      values.get('joinByWorkerProcess')!.origin,
      'it joins outbound calls: it needs --outbound (the app calling through the sidecar)',
    )
  }
  return options
}

export function k8sHelpText(schema: CommandSchema, about: readonly string[], after: readonly string[]): string {
  return commandHelpText(schema, about, [
    'Every setting comes from, in order of precedence: a flag, the environment',
    `(${schema.envPrefix}*), the YAML file given with --config, the default.`,
    ...after,
  ])
}
