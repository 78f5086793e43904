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
} from '../trace-context/index.js'
import type { Exchange } from './exchange.js'

/**
 * The proxy's use of the trace-context module: read the caller's context (or
 * start a trace), decide sampling, and write the context for the upstream.
 */
export interface TracePropagation {
  /** Sets trace id, span id, parent, flags, tracestate and the sampling decision on the exchange. */
  begin(exchange: Exchange, headers: IncomingHttpHeaders): void
  /** Appends the context headers for the upstream request as name, value pairs to `out`. */
  inject(exchange: Exchange, out: string[]): void
}

export function createTracePropagation(config: ProxyConfig): TracePropagation {
  const { extract, inject, injectIncoming } = config.propagation
  const sample = createSampler(config.sampling.sampler, config.sampling.ratio)
  const injectFormats = new Set<PropagationFormat>(inject)

  return {
    begin(exchange, headers) {
      // Node joins a repeated header with ", ", which the single-valued formats
      // reject as malformed and tracestate combines as the spec says.
      const result = extractContext((name) => headers[name], extract)
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
