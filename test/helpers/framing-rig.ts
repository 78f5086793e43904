import type { SpanRecord } from '../../src/span/span-record.js'
import { httpEngineFlags } from './http-engines.js'
import { connectRawClient } from './raw-client.js'
import type { RawClient } from './raw-client.js'
import { startRawUpstream } from './raw-upstream.js'
import type { RawUpstream, RawUpstreamScript } from './raw-upstream.js'
import { startTestSidecar } from './sidecar.js'
import type { TestSidecar } from './sidecar.js'

/**
 * One wire-level case: an in-process sidecar on the given engine in front of a
 * raw upstream, with raw client sockets. Each case gets its own, so that the
 * spans and the upstream's bytes it looks at are its own.
 */
export interface FramingRig {
  proxy: TestSidecar
  upstream: RawUpstream
  /** The sidecar's inbound port. */
  port: number
  /** A new raw client connection to the sidecar (destroyed at close). */
  client(): Promise<RawClient>
  /**
   * Waits for `count` spans, then a little longer so that a span too many
   * would show, and returns all of them.
   */
  spans(count: number): Promise<SpanRecord[]>
  /** Waits a little and returns every span so far (for cases that expect none). */
  settledSpans(): Promise<SpanRecord[]>
  close(): Promise<void>
}

export interface FramingRigOptions {
  /** More `tracecar proxy` flags (after the engine's). */
  flags?: string[]
  /** How the upstream answers; by default a 200 for each request. */
  upstream?: RawUpstreamScript
}

/** How long to wait for a span that should not come (a guard, not a timing claim). */
const SETTLE_MS = 150
const HANG_GUARD_MS = 15_000

export async function startFramingRig(engine: string, options: FramingRigOptions = {}): Promise<FramingRig> {
  const upstream = await startRawUpstream(options.upstream)
  const proxy = await startTestSidecar(upstream.url, [...httpEngineFlags(engine), ...(options.flags ?? [])])
  const port = Number(new URL(proxy.url).port)
  const clients: RawClient[] = []
  const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS))
  return {
    proxy,
    upstream,
    port,
    client: async () => {
      const client = await connectRawClient(port)
      clients.push(client)
      return client
    },
    spans: async (count) => {
      let guard: NodeJS.Timeout | undefined
      await Promise.race([
        proxy.spans.waitFor(count),
        new Promise<void>((_, reject) => {
          guard = setTimeout(() => reject(new Error(`${proxy.spans.spans.length} spans recorded, waited for ${count}`)), HANG_GUARD_MS)
        }),
      ]).finally(() => clearTimeout(guard))
      await settle()
      return proxy.spans.spans.slice()
    },
    settledSpans: async () => {
      await settle()
      return proxy.spans.spans.slice()
    },
    close: async () => {
      for (const client of clients) client.destroy()
      await proxy.close()
      await upstream.close()
    },
  }
}
