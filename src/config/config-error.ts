/**
 * The one error the config loader throws. Its message is a single line a user can act
 * on: which key, where the value came from, what was given and what is allowed, e.g.
 *
 *   tracecar: bad config: timeouts.connectMs = "abc" (from env TRACECAR_TIMEOUTS_CONNECT_MS): expected an integer number of milliseconds >= 1
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'

  constructor(
    /** Everything after `tracecar: bad config: `. */
    readonly detail: string,
    /** The dotted config key (`timeouts.connectMs`), when the problem belongs to one. */
    readonly key?: string,
    /** Where the value came from: `env X`, `flag --x`, `file path:line`, `default`. */
    readonly origin?: string,
  ) {
    super(`tracecar: bad config: ${oneLine(detail)}`)
  }
}

/** Builds the standard `key = value (from origin): problem` error. */
export function badValue(key: string, shownValue: string, origin: string, problem: string): ConfigError {
  return new ConfigError(`${key} = ${shownValue} (from ${origin}): ${problem}`, key, origin)
}

/** How a given value is quoted inside an error: JSON, so `""` and spaces are visible, and short. */
export function showValue(value: unknown): string {
  let text: string
  if (value === undefined) text = 'undefined'
  else {
    try {
      text = JSON.stringify(value) ?? String(value)
    } catch {
      text = String(value)
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

function oneLine(text: string): string {
  // The whole point is one line: a YAML error excerpt or a value with a newline must not break it.
  return text.replace(/\r?\n\s*/g, ' ').trim()
}
