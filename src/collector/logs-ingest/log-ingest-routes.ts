/**
 * The log endpoints on the OTLP/HTTP server (:4318) for services that know
 * nothing about tracing:
 * - `POST /loki/api/v1/push`: Loki's push API, JSON or protobuf+snappy, so
 *   Promtail, Grafana Alloy, Fluent Bit or Vector ship log files unchanged
 *   (point their Loki URL at http://collector:4318). Answers 204 like Loki.
 * - `POST /v1/logs/raw?service=name`: newline-delimited JSON objects or text
 *   lines, for anything else (`curl --data-binary @app.log`).
 * Each line gets its trace id from its fields or text (trace-id-derivation.ts)
 * and then goes through the collector's ingest pipeline as OTLP logs would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError, sendError, sendJson, sendText } from '../../http/http-answer.js'
import type { ErrorFormat } from '../../http/http-answer.js'
import type { CollectorRoute } from '../http/route.js'
import { OtlpValueError } from '../otlp/otlp-values.js'
import type { IngestOutcome, RawRequest } from '../receivers/ingest-pipeline.js'
import { StoreUnavailableError } from '../receivers/ingest-pipeline.js'
import { decodeContentEncoding, readRawBody } from '../receivers/request-body.js'
import type { IngestedLog } from './ingested-log.js'
import { logFromLokiEntry, logFromRawLine, nowUnixNano } from './log-line.js'
import { logsToOtlpRequest } from './logs-to-otlp.js'
import { LokiPushError } from './loki-entry.js'
import type { LokiEntry } from './loki-entry.js'
import { decodeLokiPushJson } from './loki-push-json.js'
import { decodeLokiPushProto } from './loki-push-proto.js'
import type { TraceIdDerivation } from './trace-id-derivation.js'

/** Where decoded lines go: the collector's IngestPipeline (only the two methods used). */
export interface LogSink {
  isStoreUnavailable(): boolean
  ingestLogs(request: unknown, raw?: RawRequest): Promise<IngestOutcome>
}

export interface LogIngestRoutesOptions {
  /** undefined until the collector is up (requests then get 503, which shippers retry). */
  sink: () => LogSink | undefined
  derivation: TraceIdDerivation
  maxBodyBytes: number
}

const SCOPE = 'tracecar/logs-ingest'
const SERVICE_NAME = /^[\w.\-/:@ ]{1,200}$/

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const raw = await readRawBody(req, maxBytes)
  // Loki's protobuf is always snappy-compressed; a few shippers say so in Content-Encoding.
  if ((req.headers['content-encoding'] ?? '').trim().toLowerCase() === 'snappy') return raw
  return decodeContentEncoding(raw, req.headers['content-encoding'], maxBytes)
}

async function store(sink: LogSink, logs: IngestedLog[]): Promise<IngestOutcome> {
  if (logs.length === 0) return { rejected: 0, errorMessage: '' }
  const request = logsToOtlpRequest(logs, SCOPE)
  // Forwarded (when the collector forwards) as the OTLP/JSON it became.
  const raw: RawRequest = { body: Buffer.from(JSON.stringify(request)), encoding: 'json' }
  return sink.ingestLogs(request, raw)
}

/** Runs one ingest request and answers failures in `format` (Loki's text or JSON); `answer` writes the success. */
async function ingest(
  req: IncomingMessage,
  res: ServerResponse,
  options: LogIngestRoutesOptions,
  decode: (body: Buffer) => IngestedLog[],
  answer: (logs: IngestedLog[], outcome: IngestOutcome) => void,
  format: ErrorFormat,
): Promise<void> {
  const fail = (status: number, message: string, headers?: Record<string, string>): void => sendError(res, status, message, format, headers)
  const sink = options.sink()
  if (sink === undefined || sink.isStoreUnavailable()) {
    res.setHeader('connection', 'close')
    fail(503, 'the collector is not accepting writes right now; retry later', { 'retry-after': '1' })
    return
  }
  let body: Buffer
  try {
    body = await readBody(req, options.maxBodyBytes)
  } catch (err) {
    res.setHeader('connection', 'close')
    if (err instanceof HttpError) fail(err.status, err.message)
    else res.destroy()
    return
  }
  try {
    const logs = decode(body)
    answer(logs, await store(sink, logs))
  } catch (err) {
    if (err instanceof HttpError) fail(err.status, err.message, err.headers)
    else if (err instanceof LokiPushError || err instanceof OtlpValueError) fail(400, err.message)
    else if (err instanceof StoreUnavailableError) fail(503, err.message, { 'retry-after': '1' })
    else throw err
  }
}

function lokiRoute(options: LogIngestRoutesOptions): CollectorRoute {
  return {
    method: 'POST',
    path: '/loki/api/v1/push',
    handle: (req, res) =>
      ingest(
        req,
        res,
        options,
        (body) => {
          const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
          let entries: LokiEntry[]
          if (type === 'application/json') {
            let parsed: unknown
            try {
              parsed = JSON.parse(body.toString('utf8'))
            } catch (err) {
              throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`)
            }
            entries = decodeLokiPushJson(parsed)
          } else if (type === 'application/x-protobuf' || type === '') {
            // Loki's default: snappy-compressed protobuf, with or without the content type set.
            entries = decodeLokiPushProto(body)
          } else {
            throw new HttpError(415, `Content-Type '${type}' is not supported; Loki push takes application/x-protobuf (snappy) or application/json`)
          }
          const observed = nowUnixNano()
          return entries.map((entry) => logFromLokiEntry(entry, options.derivation, observed))
        },
        (_logs, outcome) => {
          if (outcome.rejected > 0) sendText(res, 400, outcome.errorMessage)
          else res.writeHead(204).end()
        },
        'text',
      ),
  }
}

function rawRoute(options: LogIngestRoutesOptions): CollectorRoute {
  return {
    method: 'POST',
    path: '/v1/logs/raw',
    handle: (req, res, _params, url) =>
      ingest(
        req,
        res,
        options,
        (body) => {
          const service = url.searchParams.get('service') ?? ''
          if (service !== '' && !SERVICE_NAME.test(service))
            throw new HttpError(400, `service=${JSON.stringify(service)} must be 1-200 letters, digits, spaces or . _ - / : @`)
          const observed = nowUnixNano()
          const defaults = { service, resource: {} }
          const logs: IngestedLog[] = []
          for (const line of body.toString('utf8').split(/\r?\n/)) {
            if (line.trim() === '') continue
            logs.push(logFromRawLine(line, defaults, options.derivation, observed))
          }
          return logs
        },
        (logs, outcome) =>
          sendJson(res, 200, {
            accepted: logs.length - outcome.rejected,
            linkedToTraces: logs.filter((l) => l.traceId !== '').length,
            ...(outcome.rejected > 0 ? { rejected: outcome.rejected, error: outcome.errorMessage } : {}),
          }),
        'json',
      ),
  }
}

export function logIngestRoutes(options: LogIngestRoutesOptions): CollectorRoute[] {
  return [lokiRoute(options), rawRoute(options)]
}
