import type { LogRecordData, LogRecordExporter } from '../export/otlp-log-record.js'
import type { Attributes } from '../span/span-record.js'
import { W3C_DEFINED_TRACE_FLAGS } from '../trace-context/remote-context.js'
import type { Exchange, ExchangeObserver } from './exchange.js'

/**
 * The access log record as an OTLP log (`accessLog.otlp`): the same fields as
 * the JSON access log line (access-log.ts), linked to the request's trace and
 * span, handed to a LogRecordExporter when the exchange ends. The OTLP one
 * writes it into its open protobuf batch at once (as spans are written) and
 * ships batches from the export workers: no I/O here. Severity: ERROR for 5xx
 * and proxy errors, WARN for 4xx, else INFO.
 */
export class OtlpAccessLog implements ExchangeObserver {
  constructor(
    private readonly exporter: LogRecordExporter,
    private readonly serviceName: string,
  ) {}

  onExchangeEnd(ex: Exchange): void {
    const start = ex.startUnixMs
    const durationMs = round3(ex.endUnixMs - start)
    const attributes: Attributes = {
      service: this.serviceName,
      kind: ex.kind === 3 ? 'outbound' : 'inbound',
      method: ex.method,
      path: ex.path,
      status: ex.statusCode,
      duration_ms: durationMs,
      bytes_in: ex.requestBodyBytes,
      bytes_out: ex.responseBodyBytes,
      client: ex.clientAddress,
    }
    if (ex.parentSpanId !== '') attributes.parent_span_id = ex.parentSpanId
    if (ex.requestId !== '') attributes.request_id = ex.requestId
    if (ex.route !== '') attributes.route = ex.route
    if (ex.upstreamConnectedUnixMs !== 0) attributes.upstream_connect_ms = round3(ex.upstreamConnectedUnixMs - start)
    if (ex.firstByteUnixMs !== 0) attributes.upstream_first_byte_ms = round3(ex.firstByteUnixMs - start)
    if (ex.userAgent !== '') attributes.user_agent = ex.userAgent
    if (ex.errorType !== '') attributes.error_type = ex.errorType
    const failed = ex.statusCode >= 500 || ex.errorType !== ''
    const record: LogRecordData = {
      timeUnixMs: ex.endUnixMs,
      severityNumber: failed ? 17 : ex.statusCode >= 400 ? 13 : 9,
      severityText: failed ? 'ERROR' : ex.statusCode >= 400 ? 'WARN' : 'INFO',
      body: `${ex.upgraded ? 'upgrade' : 'request'} ${ex.method} ${ex.path} ${ex.statusCode} ${durationMs}ms`,
      traceId: ex.traceId,
      spanId: ex.spanId,
      // As written on the traceparent: the random bit too, for a trace tracecar started.
      traceFlags: ex.traceFlags & W3C_DEFINED_TRACE_FLAGS,
      attributes,
    }
    this.exporter.export(record)
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000
}
