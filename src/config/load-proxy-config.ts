/**
 * Produces the proxy's ProxyConfig from flags, environment, the YAML file and defaults
 * (a flag beats the environment, which beats the file, which beats the default), and
 * validates all of it. Throws ConfigError, whose message is one line for the user.
 * Pure apart from reading the config file: the caller passes argv and env.
 */
import { resolve } from 'node:path'
import { ConfigError, badValue, showValue } from './config-error.js'
import { CONFIG_FILE_ENV, CONFIG_KEYS, tracecarEnvName, type ConfigKey } from './config-schema.js'
import { readOtelEnv, readTracecarEnv, type Environment } from './env-source.js'
import { readConfigFile } from './file-source.js'
import { readFlags } from './flag-source.js'
import { KeyValueListError, parseKeyValueList } from './key-value-list.js'
import type { ProxyConfig } from './proxy-config.js'
import type { SourcedValue } from './sourced-value.js'

export interface LoadProxyConfigOptions {
  /** The arguments after `tracecar proxy`. */
  argv: readonly string[]
  env: Environment
  /** Resolves --config and a relative access log path; default process.cwd(). */
  cwd?: string
}

/** A resolved value and where it came from. */
export interface ResolvedValue {
  value: unknown
  origin: string
}

export function loadProxyConfig(options: LoadProxyConfigOptions): ProxyConfig {
  return resolveProxyConfig(options).config
}

/** As loadProxyConfig, plus each key's origin (for a `--print-config` or a startup log line). */
export function resolveProxyConfig(options: LoadProxyConfigOptions): { config: ProxyConfig; origins: Map<string, string> } {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env
  const flags = readFlags(options.argv)

  const fileName = flags.configFile ?? (env[CONFIG_FILE_ENV]?.trim() ? env[CONFIG_FILE_ENV] : undefined)
  const file = fileName === undefined ? new Map<string, SourcedValue>() : readConfigFile(resolve(cwd, fileName), fileName)
  const tracecarEnv = readTracecarEnv(env)
  checkResourceAttributesEnv(env)

  const resolved = new Map<string, ResolvedValue>()
  for (const key of CONFIG_KEYS) {
    const own = [flags.values.get(key.path), tracecarEnv.get(key.path)]
    const fromFile = file.get(key.path)
    const parsed = new Map<SourcedValue, unknown>()
    for (const given of [...own, fromFile]) if (given) parsed.set(given, parse(key, given))

    const winner = own.find(Boolean) ?? readOtelEnv(key, env) ?? fromFile
    let value: unknown
    let origin: string
    if (winner) {
      value = parsed.has(winner) ? parsed.get(winner) : parse(key, winner)
      origin = winner.origin
    } else {
      const derived = key.deriveDefault?.((path) => resolved.get(path)?.value)
      if (derived !== undefined) {
        value = derived
        origin = 'default (derived)'
      } else if (key.default === undefined) {
        throw missing(key)
      } else {
        value = structuredClone(key.default)
        origin = 'default'
      }
    }
    if (key.finish) value = key.finish(value, cwd)
    resolved.set(key.path, { value, origin })
  }

  checkRelations(resolved)
  const config = {} as Record<string, unknown>
  for (const [path, { value }] of resolved) setPath(config, path, value)
  return { config: config as unknown as ProxyConfig, origins: new Map([...resolved].map(([path, { origin }]) => [path, origin])) }
}

function parse(key: ConfigKey, given: SourcedValue): unknown {
  const result = key.type.parse(given.input)
  if (result.ok) return result.value
  throw badValue(key.path, key.secret ? hidden(given.given) : showValue(given.given), given.origin, result.problem)
}

/** Export headers carry API keys: say which names were given, never the values. */
function hidden(given: unknown): string {
  if (given !== null && typeof given === 'object' && !Array.isArray(given)) {
    return `{${Object.keys(given).map((name) => `${JSON.stringify(name)}: (hidden)`).join(', ')}}`
  }
  return '(value hidden)'
}

function missing(key: ConfigKey): ConfigError {
  return new ConfigError(
    `${key.path} is not set (from default: it has none): give --${key.flag} <url>, ${tracecarEnvName(key.path)}=<url> or "${key.path}:" in the config file, e.g. --${key.flag} http://127.0.0.1:8080`,
    key.path,
    'default',
  )
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
      throw badValue('OTEL_RESOURCE_ATTRIBUTES', showValue(text), 'env OTEL_RESOURCE_ATTRIBUTES', `${error.message}; expected key=value pairs separated by commas`)
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

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let node = target
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>
  node[parts.at(-1)!] = value
}
