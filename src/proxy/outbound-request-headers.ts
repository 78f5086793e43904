import {
  B3_FLAGS_HEADER,
  B3_HEADER,
  B3_PARENT_SPAN_ID_HEADER,
  B3_SAMPLED_HEADER,
  B3_SPAN_ID_HEADER,
  B3_TRACE_ID_HEADER,
  JAEGER_HEADER,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from '../trace-context/index.js'
import { connectionTokensOfRaw, isHopByHop } from './hop-by-hop.js'

/** The service's own context headers: replaced by the CLIENT span's (a stale or duplicate one must not go on). */
const CONTEXT_HEADERS = new Set([
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  B3_HEADER,
  B3_TRACE_ID_HEADER,
  B3_SPAN_ID_HEADER,
  B3_PARENT_SPAN_ID_HEADER,
  B3_SAMPLED_HEADER,
  B3_FLAGS_HEADER,
  JAEGER_HEADER,
])

/**
 * The service's request headers for the destination, as a flat
 * [name, value…] list (undici's cheapest form), minus:
 * - hop-by-hop headers, including `Proxy-Authorization` / `Proxy-Connection`
 *   (they were for us) and the names listed in `Connection`;
 * - `Host`: undici writes the destination's authority, which RFC 9112 §3.2.2
 *   requires a proxy to send for an absolute-form request (and which a named
 *   route must send instead of its own local address);
 * - `Expect` and `Trailer` (undici can send neither over HTTP/1.1);
 * - the trace-context headers when `replaceContext` (the proxy writes its own).
 *
 * Unlike the inbound side it adds no `X-Forwarded-*`: the call comes from the
 * service itself, and whatever it set (a gateway's own X-Forwarded-For) goes on
 * unchanged. Correlation headers go on too: the next sidecar reads them.
 */
export function copyOutboundRequestHeaders(rawHeaders: string[], replaceContext: boolean, out: string[]): void {
  const named = connectionTokensOfRaw(rawHeaders)
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    const lower = name.toLowerCase()
    if (lower === 'host' || lower === 'expect' || lower === 'trailer') continue
    if (isHopByHop(lower, named)) continue
    if (replaceContext && CONTEXT_HEADERS.has(lower)) continue
    out.push(name, rawHeaders[i + 1]!)
  }
}
