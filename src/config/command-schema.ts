/**
 * What the config machinery needs to know about one command: its table of keys, its
 * `host:port` shorthands, the prefix of its own environment variables and its config
 * file flag. Flags, environment, file, `--help`, the docs table and the example file are
 * all read or written from this, the same way for every command.
 */
import { ADDRESS_SHORTHANDS, CONFIG_FILE_ENV, CONFIG_FILE_FLAG, CONFIG_KEYS, type AddressShorthand, type ConfigKey } from './config-schema.js'

export interface CommandSchema {
  /** The command as typed after `tracecar` (`proxy`, `collector`): named in errors and help. */
  readonly command: string
  readonly keys: readonly ConfigKey[]
  readonly shorthands: readonly AddressShorthand[]
  /** Prefix of the command's own variables: `TRACECAR_` (proxy), `TRACECAR_COLLECTOR_` (collector). */
  readonly envPrefix: string
  /** The YAML file: `--<flag> <file>` or the variable `env`. */
  readonly configFile: { readonly flag: string; readonly env: string }
  /** Arguments that are not flags are allowed (`tracecar load <url>`); the command reads them. */
  readonly positionals?: boolean
}

export const PROXY_SCHEMA: CommandSchema = {
  command: 'proxy',
  keys: CONFIG_KEYS,
  shorthands: ADDRESS_SHORTHANDS,
  envPrefix: 'TRACECAR_',
  configFile: { flag: CONFIG_FILE_FLAG, env: CONFIG_FILE_ENV },
}

/**
 * Every command but the proxy: no address shorthands, its own variables
 * `TRACECAR_<COMMAND>_*` and its file by `--config` or `TRACECAR_<COMMAND>_CONFIG`.
 */
export function commandSchema(command: string, keys: readonly ConfigKey[], options: { positionals?: boolean } = {}): CommandSchema {
  const prefix = `TRACECAR_${command.toUpperCase()}_`
  return { command, keys, shorthands: [], envPrefix: prefix, configFile: { flag: 'config', env: `${prefix}CONFIG` }, ...options }
}
