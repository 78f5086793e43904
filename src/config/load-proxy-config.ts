/**
 * Produces the proxy's ProxyConfig from flags, environment, the YAML file and defaults
 * (a flag beats the environment, which beats the file, which beats the default), and
 * validates all of it. Throws ConfigError, whose message is one line for the user.
 * Pure apart from reading the config file: the caller passes argv and env.
 */
import { badValue, showValue } from './config-error.js'
import { PROXY_SCHEMA } from './command-schema.js'
import type { Environment } from './env-source.js'
import { KeyValueListError, parseKeyValueList } from './key-value-list.js'
import type { ProxyConfig } from './proxy-config.js'
import { nestValues, resolveConfig, type ResolvedValue } from './resolve-config.js'

export type { ResolvedValue } from './resolve-config.js'

export interface LoadProxyConfigOptions {
  /** The arguments after `tracecar proxy`. */
  argv: readonly string[]
  env: Environment
  /** Resolves --config and a relative access log path; default process.cwd(). */
  cwd?: string
}

export function loadProxyConfig(options: LoadProxyConfigOptions): ProxyConfig {
  return resolveProxyConfig(options).config
}

/** As loadProxyConfig, plus each key's origin (for a `--print-config` or a startup log line). */
export function resolveProxyConfig(options: LoadProxyConfigOptions): { config: ProxyConfig; origins: Map<string, string> } {
  const resolved = resolveConfig(PROXY_SCHEMA, options, checkResourceAttributesEnv)
  checkRelations(resolved)
  return {
    config: nestValues(resolved) as unknown as ProxyConfig,
    origins: new Map([...resolved].map(([path, { origin }]) => [path, origin])),
  }
}

/**
 * OTEL_RESOURCE_ATTRIBUTES is always used (resource detection reads it), so its syntax is
 * checked here, at start-up, like everything else.
 */
function checkResourceAttributesEnv(env: Environment): void {
  const text = env.OTEL_RESOURCE_ATTRIBUTES
  if (text === undefined || text.trim() === '') return
  try {
    parseKeyValueList(text)
  } catch (error) {
    if (error instanceof KeyValueListError) {
      throw badValue(
        'OTEL_RESOURCE_ATTRIBUTES',
        showValue(text),
        'env OTEL_RESOURCE_ATTRIBUTES',
        `${error.message}; expected key=value pairs separated by commas`,
      )
    }
    throw error
  }
}

function checkRelations(resolved: Map<string, ResolvedValue>): void {
  const get = (path: string): ResolvedValue => resolved.get(path)!
  const atMost = (smallPath: string, bigPath: string): void => {
    const small = get(smallPath)
    const big = get(bigPath)
    if ((small.value as number) > (big.value as number)) {
      throw badValue(smallPath, showValue(small.value), small.origin, `must be <= ${bigPath} (${String(big.value)}, from ${big.origin})`)
    }
  }
  atMost('exporter.maxExportBatchSize', 'exporter.maxQueueSize')
  atMost('exporter.initialBackoffMs', 'exporter.maxBackoffMs')

  const attributes = get('resourceAttributes')
  if (Object.hasOwn(attributes.value as object, 'service.name')) {
    throw badValue(
      'resourceAttributes',
      showValue(attributes.value),
      attributes.origin,
      'service.name is not allowed here: set serviceName (--service, OTEL_SERVICE_NAME) instead',
    )
  }
}
