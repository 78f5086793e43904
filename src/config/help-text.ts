/** `tracecar proxy --help`, generated from the config schema: one line per key. */
import { ADDRESS_SHORTHANDS, CONFIG_FILE_ENV, CONFIG_FILE_FLAG, CONFIG_KEYS, tracecarEnvName, type ConfigKey } from './config-schema.js'

export function flagUsage(key: ConfigKey): string {
  const shape = key.type.flagShape
  if (shape === 'boolean') return `--[no-]${key.flag}`
  const repeat = shape === 'single' ? '' : ' ...'
  return `--${key.flag} ${key.type.placeholder}${repeat}`
}

export function envNames(key: ConfigKey): string[] {
  return [tracecarEnvName(key.path), ...(key.otelEnv ?? []).map((reader) => (reader.note ? `${reader.name} (${reader.note})` : reader.name))]
}

export function defaultText(key: ConfigKey): string {
  if (key.defaultNote) return key.defaultNote
  if (key.default === undefined) return 'required'
  return key.type.show(key.default)
}

export function proxyHelpText(): string {
  const rows: Array<[string, string]> = [
    ['--help, -h', 'print this help and exit'],
    [`--${CONFIG_FILE_FLAG} <file>`, `YAML config file (keys as below; env ${CONFIG_FILE_ENV})`],
    ...ADDRESS_SHORTHANDS.map((shorthand): [string, string] => [
      `--${shorthand.flag} <host:port>`,
      `sets ${shorthand.hostPath} and ${shorthand.portPath} at once; env ${shorthand.env}`,
    ]),
    ...CONFIG_KEYS.map((key): [string, string] => [
      flagUsage(key),
      `${key.path}: ${key.description}${key.type.choices ? ` One of: ${key.type.choices.join(', ')}.` : ''} Default: ${defaultText(key)}. Env: ${envNames(key).join(', ')}.`,
    ]),
  ]
  const width = Math.min(34, Math.max(...rows.map(([flag]) => flag.length)) + 2)
  return [
    'Usage: tracecar proxy --upstream <url> [flags]',
    '',
    'Runs the sidecar proxy in front of the service at --upstream.',
    'Every setting comes from, in order of precedence: a flag, the environment (TRACECAR_* before',
    'the standard OTEL_* variables), the YAML file given with --config, the default.',
    'Lists and k=v flags may be repeated; booleans take --x, --no-x or --x=true|false.',
    '',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width - 1)} ${text}`),
    '',
  ].join('\n')
}
