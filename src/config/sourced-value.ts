/** A value for one config key as some source gave it, before validation. */
export interface SourcedValue {
  /** What the key's ValueType parses: a YAML value, an env string, a flag string or list. */
  readonly input: unknown
  /** What the user actually wrote, echoed in errors (differs from `input` for, e.g., a base URL). */
  readonly given: unknown
  /** `flag --x`, `env X`, `file path:line`, `default`. */
  readonly origin: string
  /**
   * Standard OTEL_* variables may be set for an application SDK sharing the environment;
   * they are validated only when they win. Our own sources (flags, TRACECAR_*, the file)
   * are validated even when shadowed, so a typo cannot lurk until the override goes away.
   */
  readonly validateWhenShadowed: boolean
}

/** Splits `host:port` / `[v6]:port`; undefined when there is no port part. */
export function splitHostPort(text: string): { host: string; port: string } | undefined {
  const trimmed = text.trim()
  const colon = trimmed.lastIndexOf(':')
  if (colon <= 0 || colon === trimmed.length - 1) return undefined
  const host = trimmed.slice(0, colon)
  // A bare IPv6 address without brackets (`::1`) has colons but no port we can tell apart.
  if (host.includes(':') && !(host.startsWith('[') && host.endsWith(']'))) return undefined
  return { host, port: trimmed.slice(colon + 1) }
}
