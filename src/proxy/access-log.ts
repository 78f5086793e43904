import pino from 'pino'
import type { Exchange, ExchangeObserver } from './exchange.js'

/**
 * One JSON line per request, through pino with an asynchronous destination
 * (sonic-boom): the request path only serialises a flat object into a buffer;
 * writing happens when the event loop is free. Field names are snake_case
 * with `trace_id` / `span_id` as log pipelines (Loki, Elastic, Datadog)
 * expect them for trace correlation.
 */
/**
 * Lines are written to the file descriptor in blocks of at least this many
 * bytes (about 10 lines) instead of one write per request: a write(2) per line
 * cost more main-thread time than building the line (bench/proxy/profile.js).
 */
const WRITE_BLOCK_BYTES = 4096
/** ...and at least this often, so a quiet service's lines still show up promptly. */
const FLUSH_INTERVAL_MS = 1000

/**
 * pino's `isoTime`, but one `toISOString()` per millisecond rather than per
 * line: under load many lines share a millisecond.
 */
let lastTimeMs = 0
let lastTimeField = ''
function cachedIsoTime(): string {
  const now = Date.now()
  if (now !== lastTimeMs) {
    lastTimeMs = now
    lastTimeField = `,"time":"${new Date(now).toISOString()}"`
  }
  return lastTimeField
}

export class AccessLog implements ExchangeObserver {
  private readonly destination: ReturnType<typeof pino.destination>
  private readonly logger: pino.Logger

  constructor(destination: string, serviceName: string) {
    const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination
    this.destination = pino.destination({
      dest,
      sync: false,
      mkdir: typeof dest === 'string',
      minLength: WRITE_BLOCK_BYTES,
      periodicFlush: FLUSH_INTERVAL_MS,
    })
    this.logger = pino(
      {
        base: { service: serviceName },
        timestamp: cachedIsoTime,
        messageKey: 'msg',
        formatters: { level: (label) => ({ level: label }) },
      },
      this.destination,
    )
  }

  onExchangeEnd(ex: Exchange): void {
    const start = ex.startUnixMs
    this.logger.info(
      {
        trace_id: ex.traceId,
        span_id: ex.spanId,
        parent_span_id: ex.parentSpanId === '' ? undefined : ex.parentSpanId,
        trace_flags: ex.sampled ? '01' : '00',
        request_id: ex.requestId === '' ? undefined : ex.requestId,
        kind: ex.kind === 3 ? 'outbound' : 'inbound',
        method: ex.method,
        path: ex.path,
        route: ex.route === '' ? undefined : ex.route,
        status: ex.statusCode,
        duration_ms: round3(ex.endUnixMs - start),
        upstream_connect_ms: ex.upstreamConnectedUnixMs === 0 ? undefined : round3(ex.upstreamConnectedUnixMs - start),
        upstream_first_byte_ms: ex.firstByteUnixMs === 0 ? undefined : round3(ex.firstByteUnixMs - start),
        bytes_in: ex.requestBodyBytes,
        bytes_out: ex.responseBodyBytes,
        client: ex.clientAddress,
        user_agent: ex.userAgent === '' ? undefined : ex.userAgent,
        error_type: ex.errorType === '' ? undefined : ex.errorType,
      },
      ex.upgraded ? 'upgrade' : 'request',
    )
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

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
