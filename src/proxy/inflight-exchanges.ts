import type { IncomingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import type { Exchange } from './exchange.js'

/** What the inference rules need kept beyond the correlation index. */
export interface InflightOptions {
  /**
   * An inference rule is on (`sole-inbound`, `worker-process`): a request whose
   * client left while the service still works on it stays in flight, marked
   * abandoned, until the service's response to it ends or its upstream
   * connection closes — so that its late calls are never handed to another.
   */
  holdAbandoned: boolean
  /** The `worker-process` rule is on: each request's upstream connection is kept with it. */
  trackSockets: boolean
}

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
 * Cost on the request path: the exchange and its request headers put in a
 * free slot (`InflightSlots`), cleared when the response ends. The
 * per-header indexes are built only when the first outbound call looks a
 * value up (`find`), from the requests then in flight, and kept from then
 * on: a sidecar whose service makes no outbound calls never hashes a trace
 * id, span id or request id into them (0.3-2.8 µs per request measured with
 * perf). With the `worker-process` rule on, the request's upstream socket
 * goes in its slot too.
 */
export class InflightExchanges {
  /** Every inbound exchange in flight, with the headers it came with (the indexes are read from them). */
  private readonly all = new InflightSlots()
  /** True once `find` was first called: from then on `add`/`delete` keep the indexes. */
  private indexing = false
  /**
   * One map per correlation header: value → the exchange that carries it, or
   * the list of them when several do (rare: no array is allocated otherwise).
   */
  private readonly byHeader: Map<string, Map<string, Exchange | Exchange[]>>
  /** The same maps with how each header's value is read, as an array: the request path walks it. */
  private readonly indexes: Array<{ name: string; index: Map<string, Exchange | Exchange[]>; read: ValueReader }>
  /** Requests whose client left while the service still works on them (holdAbandoned). */
  private readonly abandoned = new Set<Exchange>()
  readonly holdAbandoned: boolean
  readonly trackSockets: boolean

  /**
   * @param correlationHeaders lower-case names looked up on outbound calls
   * @param injected the names the inbound side writes itself: `traceId`, `spanId`, `requestId` ('' when disabled)
   */
  constructor(
    correlationHeaders: readonly string[],
    injected: { traceId: string; spanId: string; requestId: string },
    options: InflightOptions = { holdAbandoned: false, trackSockets: false },
  ) {
    this.holdAbandoned = options.holdAbandoned
    this.trackSockets = options.trackSockets
    const own = new Map<string, ValueReader>()
    if (injected.traceId !== '') own.set(injected.traceId, (e) => e.traceId)
    if (injected.spanId !== '') own.set(injected.spanId, (e) => e.spanId)
    if (injected.requestId !== '') own.set(injected.requestId, (e) => e.requestId)
    this.indexes = correlationHeaders.map((name) => ({
      name,
      index: new Map<string, Exchange | Exchange[]>(),
      read:
        own.get(name) ??
        ((_e, headers) => {
          const value = headers[name]
          return typeof value === 'string' ? value : ''
        }),
    }))
    this.byHeader = new Map(this.indexes.map(({ name, index }) => [name, index]))
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
    this.all.add(exchange, requestHeaders)
    if (this.indexing) this.index(exchange, requestHeaders)
  }

  private index(exchange: Exchange, requestHeaders: IncomingHttpHeaders): void {
    for (let i = 0; i < this.indexes.length; i++) {
      const { index, read } = this.indexes[i]!
      const value = read(exchange, requestHeaders)
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
    if (this.abandoned.size !== 0) this.abandoned.delete(exchange)
    if (!this.indexing) return
    for (let i = 0; i < this.indexes.length; i++) {
      const { index, read } = this.indexes[i]!
      const value = read(exchange, requestHeaders)
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
    if (!this.indexing) {
      this.indexing = true
      this.all.forEach((exchange, requestHeaders) => this.index(exchange, requestHeaders))
    }
    const present = this.byHeader.get(header)?.get(value)
    if (present === undefined || !Array.isArray(present)) return present
    const list = present
    const last = list[list.length - 1]!
    for (let i = 0; i < list.length - 1; i++) if (list[i]!.traceId !== last.traceId) return undefined
    return last
  }

  /** The request went to the service over `socket` (kept only for the worker-process rule). */
  connected(exchange: Exchange, socket: Socket): void {
    if (this.trackSockets) this.all.setSocket(exchange, socket)
  }

  /** The request's client left; the service still has it: it stays in flight, marked, until `delete`. */
  abandon(exchange: Exchange): void {
    if (this.all.has(exchange)) this.abandoned.add(exchange)
  }

  isAbandoned(exchange: Exchange): boolean {
    return this.abandoned.has(exchange)
  }

  /** The requests in flight that have reached the service, each with the connection it went over. */
  upstreamSockets(): Array<[Exchange, Socket]> {
    return this.all.withSockets()
  }

  /** The only inbound request in flight, or undefined when there are none or several. */
  sole(): Exchange | undefined {
    return this.all.only()
  }
}

/**
 * The exchanges in flight, their request headers and (for the worker-process
 * rule) their upstream sockets, each in a slot of parallel arrays whose index
 * the exchange keeps (`Exchange.inflightSlot`); a slot is cleared when its
 * request ends and reused by the next.
 *
 * Not Maps keyed by exchange: with one, the exchanges it had held, and
 * everything they reach, survived the scavenges after their requests ended
 * and were promoted (most likely through the tables V8 replaces as entries
 * come and go, which keep pointing at their old entries until a mark-compact,
 * once they are in the old generation themselves): under 50 concurrent
 * connections, ~100 KB a scavenge and a mark-compact every ~650 ms, against
 * ~12 KB and a fifth as many with no index at all (bench/README.md). Cleared
 * array slots leave nothing behind.
 */
class InflightSlots {
  private readonly exchanges: Array<Exchange | undefined> = []
  private readonly headers: Array<IncomingHttpHeaders | undefined> = []
  private readonly sockets: Array<Socket | undefined> = []
  private readonly free: number[] = []
  private count = 0
  /**
   * The sum of the occupied slots' indexes: with one slot occupied, its
   * index. The sole-inbound rule asks for the only request in flight on every
   * outbound call, and a scan would walk every slot up to the most requests
   * ever in flight at once.
   */
  private slotSum = 0

  get size(): number {
    return this.count
  }

  has(exchange: Exchange): boolean {
    const slot = exchange.inflightSlot
    return slot !== -1 && this.exchanges[slot] === exchange
  }

  /** Holds `exchange` (again with new headers if it is held already). */
  add(exchange: Exchange, requestHeaders: IncomingHttpHeaders): void {
    let slot = exchange.inflightSlot
    if (slot === -1 || this.exchanges[slot] !== exchange) {
      slot = this.free.pop() ?? this.exchanges.length
      exchange.inflightSlot = slot
      this.count++
      this.slotSum += slot
    }
    this.exchanges[slot] = exchange
    this.headers[slot] = requestHeaders
  }

  /** False when `exchange` was not held. */
  delete(exchange: Exchange): boolean {
    if (!this.has(exchange)) return false
    const slot = exchange.inflightSlot
    this.exchanges[slot] = undefined
    this.headers[slot] = undefined
    this.sockets[slot] = undefined
    exchange.inflightSlot = -1
    this.free.push(slot)
    this.count--
    this.slotSum -= slot
    return true
  }

  /** The one exchange held, or undefined when there are none or several. */
  only(): Exchange | undefined {
    return this.count === 1 ? this.exchanges[this.slotSum] : undefined
  }

  /** The connection `exchange`'s request went to the service over (nothing when it is not held). */
  setSocket(exchange: Exchange, socket: Socket): void {
    if (this.has(exchange)) this.sockets[exchange.inflightSlot] = socket
  }

  /** The exchanges held whose request has reached the service, each with its connection. */
  withSockets(): Array<[Exchange, Socket]> {
    const out: Array<[Exchange, Socket]> = []
    for (let slot = 0; slot < this.exchanges.length; slot++) {
      const socket = this.sockets[slot]
      if (socket !== undefined) out.push([this.exchanges[slot]!, socket])
    }
    return out
  }

  forEach(visit: (exchange: Exchange, requestHeaders: IncomingHttpHeaders) => void): void {
    for (let slot = 0; slot < this.exchanges.length; slot++) {
      const exchange = this.exchanges[slot]
      if (exchange !== undefined) visit(exchange, this.headers[slot]!)
    }
  }
}

/** The value a request carries for one correlation header ('' when none). */
type ValueReader = (exchange: Exchange, requestHeaders: IncomingHttpHeaders) => string
