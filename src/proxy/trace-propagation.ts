import type { IncomingHttpHeaders } from 'node:http'
import type { PropagationFormat, ProxyConfig } from '../config/proxy-config.js'
import {
  createSampler,
  extractContext,
  injectContext,
  newSpanId,
  newTraceId,
  TRACE_FLAG_RANDOM,
  TRACE_FLAG_SAMPLED,
  TRACESTATE_HEADER,
} from '../trace-context/index.js'
import type { Exchange } from './exchange.js'

/**
 * The proxy's use of the trace-context module: read the caller's context (or
 * start a trace), decide sampling, and write the context for the upstream.
 */
export interface TracePropagation {
  /**
   * Sets trace id, span id, parent, flags, tracestate and the sampling decision on the
   * exchange. `rawHeaders` (Node's `req.rawHeaders`) tells one header line from two.
   */
  begin(exchange: Exchange, headers: IncomingHttpHeaders, rawHeaders: readonly string[]): void
  /** Appends the context headers for the upstream request as name, value pairs to `out`. */
  inject(exchange: Exchange, out: string[]): void
}

export function createTracePropagation(config: ProxyConfig): TracePropagation {
  const { extract, inject, injectIncoming } = config.propagation
  const sample = createSampler(config.sampling.sampler, config.sampling.ratio)
  const injectFormats = new Set<PropagationFormat>(inject)

  return {
    begin(exchange, headers, rawHeaders) {
      const result = extractContext((name) => headerLines(headers, rawHeaders, name), extract)
      if (result.invalid !== undefined) exchange.invalidContextHeader = result.invalid
      const parent = result.context
      exchange.spanId = newSpanId()
      let flags: number
      if (parent !== undefined) {
        exchange.traceId = parent.traceId
        exchange.parentSpanId = parent.spanId
        exchange.traceState = parent.traceState
        exchange.incomingFormat = parent.format
        exchange.incomingTraceIdBits = parent.traceIdBits
        exchange.incomingDebug = parent.debug
        flags = parent.traceFlags
      } else {
        exchange.traceId = newTraceId()
        // Our trace ids come from crypto: W3C level 2's "random" flag is true of them.
        flags = TRACE_FLAG_RANDOM
      }
      // The result carries a decision even without ids (`b3: 0`), for the parent-based samplers.
      exchange.sampled = sample(exchange.traceId, result)
      // Flags other than "sampled" are carried as they came; the sampled bit is our decision.
      exchange.traceFlags = exchange.sampled ? flags | TRACE_FLAG_SAMPLED : flags & ~TRACE_FLAG_SAMPLED
    },

    inject(exchange, out) {
      let formats: Iterable<PropagationFormat> = injectFormats
      const incoming = exchange.incomingFormat as PropagationFormat | ''
      if (injectIncoming && incoming !== '' && !injectFormats.has(incoming)) {
        formats = [...injectFormats, incoming]
      }
      injectContext(
        {
          traceId: exchange.traceId,
          spanId: exchange.spanId,
          parentSpanId: exchange.parentSpanId,
          traceFlags: exchange.traceFlags,
          traceState: exchange.traceState,
          traceIdBits: exchange.incomingTraceIdBits,
          debug: exchange.incomingDebug,
        },
        formats,
        (name, value) => {
          out.push(name, value)
        },
      )
    },
  }
}

/**
 * A request header for `extractContext`. Node joins a repeated header with ", ",
 * which tracestate combines as the spec says; but a single-valued header sent twice
 * must be seen as two (invalid), and a joined value can still parse: two
 * `01-<trace>-<span>-01-x` lines make one future-version traceparent. So when a
 * single-valued header's value holds a comma, its lines are counted in the raw
 * headers (the rare case: the common one costs an `indexOf`).
 */
function headerLines(headers: IncomingHttpHeaders, rawHeaders: readonly string[], name: string): string | string[] | undefined {
  const value = headers[name]
  if (typeof value !== 'string' || name === TRACESTATE_HEADER || value.indexOf(',') === -1) return value
  let lines: string[] | undefined
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i]!
    if (raw.length === name.length && raw.toLowerCase() === name) (lines ??= []).push(rawHeaders[i + 1]!)
  }
  return lines !== undefined && lines.length > 1 ? lines : value
}
