import { ConfigError } from '../config/config-error.js'
import { isHelpRequested } from '../config/flag-source.js'

/**
 * The start every command shares: `--help` prints the command's help, and a
 * bad setting is said in its one line (a ConfigError already names the key,
 * the value and what is allowed) with exit code 2. Returns the settings, or
 * undefined when the command has nothing more to do. Any other error is a
 * bug and is thrown on.
 */
export function commandSettings<T>(
  argv: readonly string[],
  help: () => string,
  load: () => T,
  isUsageError: (err: unknown) => err is Error = isConfigError,
): T | undefined {
  if (isHelpRequested(argv)) {
    process.stdout.write(help())
    return undefined
  }
  try {
    return load()
  } catch (err) {
    if (!isUsageError(err)) throw err
    process.stderr.write(`${err.message}\n`)
    process.exitCode = 2
    return undefined
  }
}

function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError
}
