import type { IncomingHttpHeaders } from 'node:http'
import type { Exchange } from './exchange.js'

/**
 * The inbound requests the service is handling right now, indexed so that the
 * outbound side of the same process can find the one an outbound call belongs to.
 *
 * For each configured correlation header the index holds the value *the service
 * saw* on its inbound request: for the headers the inbound side writes itself
 * (trace id, span id, request id) that is the exchange's own value; for any
 * other header it is the value the client sent. A service that copies that
 * header onto its outbound call thereby names its inbound request.
 *
 * Cost on the request path: one Set insertion and one Map insertion per
 * configured header, undone when the response ends. No I/O, no allocation
 * beyond the map entries.
 */
export class InflightExchanges {
  private readonly all = new Set<Exchange>()
  /**
   * One map per correlation header: value → the exchange that carries it, or
   * the list of them when several do (rare: no array is allocated otherwise).
   */
  private readonly byHeader: Map<string, Map<string, Exchange | Exchange[]>>
  private readonly ownValue: Map<string, (exchange: Exchange) => string>

  /**
   * @param correlationHeaders lower-case names looked up on outbound calls
   * @param injected the names the inbound side writes itself: `traceId`, `spanId`, `requestId` ('' when disabled)
   */
  constructor(
    correlationHeaders: readonly string[],
    injected: { traceId: string; spanId: string; requestId: string },
  ) {
    this.byHeader = new Map(correlationHeaders.map((name) => [name, new Map<string, Exchange | Exchange[]>()]))
    this.ownValue = new Map()
    if (injected.traceId !== '') this.ownValue.set(injected.traceId, (e) => e.traceId)
    if (injected.spanId !== '') this.ownValue.set(injected.spanId, (e) => e.spanId)
    if (injected.requestId !== '') this.ownValue.set(injected.requestId, (e) => e.requestId)
  }

  get size(): number {
    return this.all.size
  }

  /** Headers whose values are indexed. */
  get headers(): Iterable<string> {
    return this.byHeader.keys()
  }

  /** An inbound request began (its trace context is set). */
  add(exchange: Exchange, requestHeaders: IncomingHttpHeaders): void {
    this.all.add(exchange)
    for (const [name, index] of this.byHeader) {
      const value = this.valueFor(name, exchange, requestHeaders)
      if (value === '') continue
      const present = index.get(value)
      if (present === undefined) index.set(value, exchange)
      else if (Array.isArray(present)) present.push(exchange)
      else index.set(value, [present, exchange])
    }
  }

  /** The inbound request ended. Needs the same headers as `add` to find its index entries. */
  delete(exchange: Exchange, requestHeaders: IncomingHttpHeaders): void {
    if (!this.all.delete(exchange)) return
    for (const [name, index] of this.byHeader) {
      const value = this.valueFor(name, exchange, requestHeaders)
      if (value === '') continue
      const present = index.get(value)
      if (present === exchange) {
        index.delete(value)
      } else if (Array.isArray(present)) {
        const at = present.indexOf(exchange)
        if (at !== -1) present.splice(at, 1)
        if (present.length === 1) index.set(value, present[0]!)
      }
    }
  }

  /**
   * The in-flight inbound exchange whose `header` had `value`, or undefined.
   * Several exchanges with the value (two requests that arrived with the same
   * client-chosen request id) are only an answer when they are all in the same
   * trace — then the latest is taken; otherwise the match is ambiguous and
   * refused, so that a span is never parented in the wrong trace.
   */
  find(header: string, value: string): Exchange | undefined {
    const present = this.byHeader.get(header)?.get(value)
    if (present === undefined || !Array.isArray(present)) return present
    const list = present
    const last = list[list.length - 1]!
    for (let i = 0; i < list.length - 1; i++) if (list[i]!.traceId !== last.traceId) return undefined
    return last
  }

  /** The only inbound request in flight, or undefined when there are none or several. */
  sole(): Exchange | undefined {
    if (this.all.size !== 1) return undefined
    for (const exchange of this.all) return exchange
    return undefined
  }

  private valueFor(name: string, exchange: Exchange, requestHeaders: IncomingHttpHeaders): string {
    const own = this.ownValue.get(name)
    if (own !== undefined) return own(exchange)
    const value = requestHeaders[name]
    return typeof value === 'string' ? value : ''
  }
}
