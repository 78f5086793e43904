/**
 * The HTTP/1.1 engines the proxy's inbound side can run on. Suites that prove
 * wire behaviour (test/proxy/http1-framing-*.test.ts) run once per engine, so
 * a new engine is held to the same cases by adding its name here.
 */
export const HTTP_ENGINES = ['node', 'raw'] as const

export type HttpEngine = (typeof HTTP_ENGINES)[number]

/** The `tracecar proxy` flags that select `engine` (named even for the default, so no outer setting overrides it). */
export function httpEngineFlags(engine: string): string[] {
  return ['--http-engine', engine]
}

/**
 * For a case an engine gets wrong today: the skip reason (what that engine
 * does instead) on the engines listed, false on the others, so that every
 * other engine is still held to the right behaviour.
 */
export function skipOn(engine: string, doesToday: Readonly<Record<string, string>>): string | false {
  return doesToday[engine] ?? false
}
