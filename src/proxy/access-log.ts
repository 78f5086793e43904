import pino from 'pino'
import { formatAccessLine } from './access-log-line.js'
import type { Exchange, ExchangeObserver } from './exchange.js'

/**
 * One JSON line per request, written through pino's asynchronous destination
 * (sonic-boom): the request path only appends the line to a buffer; writing
 * happens when the event loop is free. The line itself is built by
 * access-log-line.ts, a fixed-field writer that produces pino's line for a
 * quarter of pino's cost. Field names are snake_case with `trace_id` /
 * `span_id` as log pipelines (Loki, Elastic, Datadog) expect them for trace
 * correlation.
 */
/**
 * Lines are written to the file descriptor in blocks of at least this many
 * bytes (about 10 lines) instead of one write per request: a write(2) per line
 * cost more main-thread time than building the line (bench/proxy/profile.js).
 */
const WRITE_BLOCK_BYTES = 4096
/** ...and at least this often, so a quiet service's lines still show up promptly. */
const FLUSH_INTERVAL_MS = 1000

export class AccessLog implements ExchangeObserver {
  private readonly destination: ReturnType<typeof pino.destination>
  private readonly serviceName: string

  constructor(destination: string, serviceName: string) {
    const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination
    this.destination = pino.destination({
      dest,
      sync: false,
      mkdir: typeof dest === 'string',
      minLength: WRITE_BLOCK_BYTES,
      periodicFlush: FLUSH_INTERVAL_MS,
    })
    this.serviceName = serviceName
  }

  onExchangeEnd(ex: Exchange): void {
    this.destination.write(formatAccessLine(ex, this.serviceName, Date.now()))
  }

  /** Writes out what is buffered and closes the destination (shutdown). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const dest = this.destination
      try {
        dest.flushSync()
      } catch {
        // Not ready yet (still opening a file): ending it below writes what is buffered.
      }
      dest.once('close', () => resolve())
      dest.once('error', () => resolve())
      dest.end()
    })
  }
}
