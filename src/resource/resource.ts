/**
 * The OpenTelemetry resource of this sidecar's spans and logs: who produced them.
 * Built once at start-up; never does I/O beyond reading package.json at module load.
 *
 * Precedence, lowest first: detected facts (host, process, Kubernetes downward-API
 * variables) < OTEL_RESOURCE_ATTRIBUTES < config.resourceAttributes; then service.name
 * is always config.serviceName (the loader already folded OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES' service.name into it), and telemetry.sdk.* always describe
 * tracecar itself, as the resource spec reserves them for the SDK.
 */
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import {
  ATTR_K8S_CONTAINER_NAME,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_NODE_NAME,
  ATTR_K8S_POD_NAME,
  ATTR_K8S_POD_UID,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_TELEMETRY_SDK_LANGUAGE,
  ATTR_TELEMETRY_SDK_NAME,
  ATTR_TELEMETRY_SDK_VERSION,
} from '../span/stable-attributes.js'
import { ATTR_HOST_NAME, ATTR_PROCESS_PID, ATTR_PROCESS_RUNTIME_NAME, ATTR_PROCESS_RUNTIME_VERSION } from '../span/incubating-attributes.js'
import { ConfigError } from '../config/config-error.js'
import { KeyValueListError, parseKeyValueList } from '../config/key-value-list.js'
import type { ProxyConfig } from '../config/proxy-config.js'

export type ResourceAttributes = Record<string, string | number>

/** One id per process: every span and log of this sidecar instance carries the same one. */
const PROCESS_INSTANCE_ID = randomUUID()

const TRACECAR_VERSION = readPackageVersion()

/** Kubernetes attributes and the downward-API variable names commonly used for them, first set wins. */
const KUBERNETES_ENV: ReadonlyArray<readonly [attribute: string, names: readonly string[]]> = [
  [ATTR_K8S_POD_NAME, ['POD_NAME', 'K8S_POD_NAME']],
  [ATTR_K8S_NAMESPACE_NAME, ['POD_NAMESPACE', 'K8S_NAMESPACE', 'K8S_NAMESPACE_NAME']],
  [ATTR_K8S_NODE_NAME, ['NODE_NAME', 'K8S_NODE_NAME']],
  [ATTR_K8S_POD_UID, ['POD_UID', 'K8S_POD_UID']],
  [ATTR_K8S_CONTAINER_NAME, ['K8S_CONTAINER_NAME']],
]

export function detectResource(
  config: Pick<ProxyConfig, 'serviceName' | 'resourceAttributes'>,
  env: Readonly<Record<string, string | undefined>>,
): ResourceAttributes {
  const attributes: ResourceAttributes = {
    [ATTR_SERVICE_INSTANCE_ID]: PROCESS_INSTANCE_ID,
    [ATTR_HOST_NAME]: hostname(),
    [ATTR_PROCESS_PID]: process.pid,
    [ATTR_PROCESS_RUNTIME_NAME]: 'nodejs',
    [ATTR_PROCESS_RUNTIME_VERSION]: process.versions.node,
  }
  for (const [attribute, names] of KUBERNETES_ENV) {
    const value = names.map((name) => env[name]?.trim()).find((text) => text)
    if (value) attributes[attribute] = value
  }
  Object.assign(attributes, otelResourceAttributes(env), config.resourceAttributes)
  attributes[ATTR_SERVICE_NAME] = config.serviceName
  attributes[ATTR_TELEMETRY_SDK_NAME] = 'tracecar'
  attributes[ATTR_TELEMETRY_SDK_LANGUAGE] = 'nodejs'
  attributes[ATTR_TELEMETRY_SDK_VERSION] = TRACECAR_VERSION
  return attributes
}

function otelResourceAttributes(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const text = env.OTEL_RESOURCE_ATTRIBUTES
  if (text === undefined || text.trim() === '') return {}
  try {
    return parseKeyValueList(text)
  } catch (error) {
    // loadProxyConfig checks this variable first; this is for callers that skip it.
    if (error instanceof KeyValueListError) {
      throw new ConfigError(
        `OTEL_RESOURCE_ATTRIBUTES = ${JSON.stringify(text)} (from env OTEL_RESOURCE_ATTRIBUTES): ${error.message}`,
        undefined,
        'env OTEL_RESOURCE_ATTRIBUTES',
      )
    }
    throw error
  }
}

function readPackageVersion(): string {
  // src/resource/ and dist/resource/ are both two levels below package.json.
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  const version = (JSON.parse(text) as { version?: unknown }).version
  return typeof version === 'string' ? version : '0.0.0'
}
