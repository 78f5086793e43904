/**
 * OTLP/HTTP receiver (:4318): POST /v1/traces and /v1/logs, binary protobuf
 * or JSON, optionally gzip/deflate. Answers as the OTLP/HTTP spec says:
 * 200 with an Export*ServiceResponse (partial success when records were
 * refused) only after the batch is stored; 400 for a body that does not
 * decode; 413 over the size limit; 415 for an unknown content type or
 * encoding; 429 when too many bodies are already being read; 503 when the
 * store cannot write. Error bodies are a google.rpc.Status in the request's
 * encoding. Other parts add routes here (Loki push, raw logs).
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { ExportLogsServiceResponse, ExportTraceServiceResponse } from '../otlp/otlp-proto-root.js'
import { OtlpValueError } from '../otlp/otlp-values.js'
import { ProtoWireError } from '../otlp/proto-wire-reader.js'
import { sendJson } from '../../http/http-answer.js'
import { listenOn } from '../../http/listen.js'
import { RouteTable } from '../http/route.js'
import type { CollectorRoute } from '../http/route.js'
import { BodyError, decodeContentEncoding, readRawBody } from './request-body.js'
import { StoreUnavailableError } from './ingest-pipeline.js'
import type { IngestOutcome, IngestPipeline, RawRequest } from './ingest-pipeline.js'

export interface OtlpHttpReceiverOptions {
  host: string
  port: number
  pipeline: IngestPipeline
  /** Limit on a request body, compressed and decompressed. */
  maxBodyBytes: number
  /** Bytes of bodies being read at once before new requests get 429. */
  maxInflightBytes: number
  routes?: readonly CollectorRoute[]
  log: (line: string) => void
}

type Encoding = 'protobuf' | 'json'

const RETRY_AFTER_SECONDS = '1'

const SIGNALS = {
  '/v1/traces': {
    requestType: 'ExportTraceServiceRequest',
    response: ExportTraceServiceResponse,
    rejectedField: 'rejectedSpans',
    ingestJson: (p: IngestPipeline, req: unknown, raw: RawRequest) => p.ingestTraces(req, raw),
    ingestProtobuf: (p: IngestPipeline, body: Buffer) => p.ingestTracesProtobuf(body),
  },
  '/v1/logs': {
    requestType: 'ExportLogsServiceRequest',
    response: ExportLogsServiceResponse,
    rejectedField: 'rejectedLogRecords',
    ingestJson: (p: IngestPipeline, req: unknown, raw: RawRequest) => p.ingestLogs(req, raw),
    ingestProtobuf: (p: IngestPipeline, body: Buffer) => p.ingestLogsProtobuf(body),
  },
} as const

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf'
  if (type === 'application/json') return 'json'
  return undefined
}

/** google.rpc.Status {code = 1; message = 2}, encoded by hand: two fields do not need a schema. */
function encodeRpcStatus(code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8')
  const parts: number[] = [0x08, ...varint(code), 0x12, ...varint(text.length)]
  return Buffer.concat([Buffer.from(parts), text])
}

function varint(n: number): number[] {
  const out: number[] = []
  let v = n >>> 0
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return out
}

/** gRPC codes used in the Status body, by HTTP status (OTLP/HTTP spec's mapping). */
const RPC_CODE: Record<number, number> = { 400: 3, 404: 5, 405: 12, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 }

/** An OTLP error answer: a google.rpc.Status in the request's encoding (OTLP/HTTP spec). */
function sendOtlpError(res: ServerResponse, encoding: Encoding | undefined, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const code = RPC_CODE[status] ?? 2
  if (encoding === 'protobuf') {
    const body = encodeRpcStatus(code, message)
    res.writeHead(status, { 'content-type': 'application/x-protobuf', 'content-length': body.length, ...headers })
    res.end(body)
    return
  }
  sendJson(res, status, { code, message }, headers)
}

export interface OtlpHttpReceiver {
  server: Server
  port: number
  close(): Promise<void>
}

export async function startOtlpHttpReceiver(options: OtlpHttpReceiverOptions): Promise<OtlpHttpReceiver> {
  const routes = new RouteTable(options.routes)
  let inflightBytes = 0

  async function handleExport(req: IncomingMessage, res: ServerResponse, signal: (typeof SIGNALS)[keyof typeof SIGNALS]): Promise<void> {
    const encoding = encodingOf(req.headers['content-type'])
    if (encoding === undefined) {
      // Drain nothing: the answer is final, and closing spares us reading a body we cannot use.
      res.setHeader('connection', 'close')
      sendOtlpError(res, 'json', 415, `Content-Type '${req.headers['content-type'] ?? ''}' is not supported; use application/x-protobuf or application/json`)
      return
    }
    if (options.pipeline.isStoreUnavailable()) {
      res.setHeader('connection', 'close')
      sendOtlpError(res, encoding, 503, 'the store is not accepting writes right now; retry later', { 'retry-after': RETRY_AFTER_SECONDS })
      return
    }
    const declared = Number(req.headers['content-length'])
    const reserve = Number.isFinite(declared) && declared > 0 ? Math.min(declared, options.maxBodyBytes) : 64 * 1024
    if (inflightBytes + reserve > options.maxInflightBytes && inflightBytes > 0) {
      res.setHeader('connection', 'close')
      sendOtlpError(res, encoding, 429, 'the collector is reading too many requests at once; retry later', { 'retry-after': RETRY_AFTER_SECONDS })
      return
    }
    inflightBytes += reserve
    let body: Buffer
    try {
      const raw = await readRawBody(req, options.maxBodyBytes)
      body = await decodeContentEncoding(raw, req.headers['content-encoding'], options.maxBodyBytes)
    } catch (err) {
      inflightBytes -= reserve
      if (err instanceof BodyError) {
        res.setHeader('connection', 'close')
        sendOtlpError(res, encoding, err.status, err.message)
      } else {
        res.destroy()
      }
      return
    }
    inflightBytes -= reserve

    // Protobuf is decoded by the pipeline, straight from the bytes; JSON is parsed here first.
    let request: unknown
    if (encoding === 'json') {
      try {
        request = JSON.parse(body.toString('utf8'))
      } catch (err) {
        sendOtlpError(res, encoding, 400, `the body is not a valid JSON ${signal.requestType}: ${(err as Error).message}`)
        return
      }
    }
    let outcome: IngestOutcome
    try {
      outcome = await (encoding === 'protobuf'
        ? signal.ingestProtobuf(options.pipeline, body)
        : signal.ingestJson(options.pipeline, request, { body, encoding }))
    } catch (err) {
      if (err instanceof ProtoWireError) sendOtlpError(res, encoding, 400, `the body is not a valid protobuf ${signal.requestType}: ${err.message}`)
      else if (err instanceof OtlpValueError) sendOtlpError(res, encoding, 400, err.message)
      else if (err instanceof StoreUnavailableError) sendOtlpError(res, encoding, 503, err.message, { 'retry-after': RETRY_AFTER_SECONDS })
      else {
        options.log(`unexpected error while ingesting ${req.url}: ${(err as Error).stack ?? String(err)}`)
        sendOtlpError(res, encoding, 500, `internal error: ${(err as Error).message}`)
      }
      return
    }
    const partialSuccess = outcome.rejected > 0 ? { [signal.rejectedField]: outcome.rejected, errorMessage: outcome.errorMessage } : undefined
    if (encoding === 'protobuf') {
      const bytes = signal.response.encode(partialSuccess === undefined ? {} : { partialSuccess }).finish()
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': bytes.length })
      res.end(bytes)
    } else {
      sendJson(res, 200, partialSuccess === undefined ? {} : { partialSuccess })
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://collector')
    const custom = routes.match(req.method ?? 'GET', url.pathname)
    if ('route' in custom) {
      Promise.resolve()
        .then(() => custom.route.handle(req, res, custom.params, url))
        .catch((err: unknown) => {
          options.log(`ingest route ${url.pathname} failed: ${(err as Error).stack ?? String(err)}`)
          sendOtlpError(res, 'json', 500, `internal error: ${(err as Error).message}`)
        })
      return
    }
    const signal = SIGNALS[url.pathname as keyof typeof SIGNALS]
    if (signal === undefined) {
      res.setHeader('connection', 'close')
      sendOtlpError(res, 'json', 404, `no OTLP endpoint at ${url.pathname}; use POST /v1/traces or /v1/logs`)
      return
    }
    if (req.method !== 'POST') {
      res.setHeader('connection', 'close')
      sendOtlpError(res, 'json', 405, `${url.pathname} takes POST, not ${req.method}`, { allow: 'POST' })
      return
    }
    handleExport(req, res, signal).catch((err: unknown) => {
      options.log(`unexpected error on ${url.pathname}: ${(err as Error).stack ?? String(err)}`)
      sendOtlpError(res, 'json', 500, 'internal error')
    })
  })
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    else socket.destroy()
  })
  // Big bodies on slow links: generous, but not unbounded.
  server.requestTimeout = 60_000

  const { port } = await listenOn(server, options.port, options.host)
  return {
    server,
    port,
    close: () => closeServer(server),
  }
}

/**
 * Stops accepting, lets in-flight requests finish (their writes complete),
 * then resolves. Connections still open after `graceMs` (a client that
 * never finishes its body) are cut.
 */
export function closeServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}
