/**
 * A real OTLP/HTTP receiver for the export tests, on 127.0.0.1: traces at
 * `url` (/v1/traces, and any other path), logs at `logsUrl` (/v1/logs).
 *
 * Protobuf bodies are decoded with the protobufjs root that
 * @opentelemetry/otlp-transformer generates (protobufjs-cli) from the official
 * opentelemetry-proto definitions at build time. No npm package ships current
 * .proto files (only otlp-grpc-exporter-base <= 0.34 did, with pre-1.0 protos
 * that lack Span.flags), so this generated root is the freshest copy of the
 * official schema we can load. It decodes independently of how we build the
 * request: a mapping mistake of ours shows up as wrong decoded values.
 *
 * JSON bodies are parsed and normalised to the same shape, so every test can
 * assert on `ReceivedSpan` whatever the protocol.
 */
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { gunzipSync } from 'node:zlib'

interface ProtoType {
  decode(bytes: Uint8Array): unknown
  encode(message: unknown): { finish(): Uint8Array }
  fromObject(object: unknown): unknown
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>
}
const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: {
    proto: {
      collector: {
        trace: { v1: Record<'ExportTraceServiceRequest' | 'ExportTraceServiceResponse', ProtoType> }
        logs: { v1: Record<'ExportLogsServiceRequest' | 'ExportLogsServiceResponse', ProtoType> }
      }
    }
  }
}
const traceService = root.opentelemetry.proto.collector.trace.v1
const logsService = root.opentelemetry.proto.collector.logs.v1

export type ReceivedValue =
  | { type: 'string'; value: string }
  | { type: 'int'; value: string }
  | { type: 'double'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'array'; value: ReceivedValue[] }
  | { type: 'unknown'; value: unknown }

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  traceState: string
  flags: number
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: Record<string, ReceivedValue>
  events: Array<{ name: string; timeUnixNano: string; attributes: Record<string, ReceivedValue> }>
  links: Array<{ traceId: string; spanId: string; traceState: string; attributes: Record<string, ReceivedValue> }>
  status: { code: number; message: string }
  resource: Record<string, ReceivedValue>
  scope: { name: string; version: string }
}

export interface ReceivedLogRecord {
  traceId: string
  spanId: string
  flags: number
  timeUnixNano: string
  observedTimeUnixNano: string
  severityNumber: number
  severityText: string
  body: ReceivedValue
  attributes: Record<string, ReceivedValue>
  resource: Record<string, ReceivedValue>
  scope: { name: string; version: string }
}

export interface ReceivedRequest {
  receivedAtMs: number
  /** The request path: /v1/traces or /v1/logs. */
  path: string
  headers: IncomingMessage['headers']
  /** The body as it came over the wire (maybe gzipped). */
  rawBody: Buffer
  spans: ReceivedSpan[]
  logRecords: ReceivedLogRecord[]
}

/** What the receiver answers. 'hang' never answers (the socket is destroyed on close). */
export type Reply = { status: number; headers?: Record<string, string>; body?: Uint8Array | string } | 'hang'

export interface OtlpReceiver {
  url: string
  /** The logs endpoint of the same server. */
  logsUrl: string
  port: number
  /** Every request, including those answered with an error. */
  requests: ReceivedRequest[]
  /** Spans of the requests answered 2xx. */
  acceptedSpans: ReceivedSpan[]
  /** Log records of the requests answered 2xx. */
  acceptedLogRecords: ReceivedLogRecord[]
  waitForAcceptedSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>
  waitForAcceptedLogRecords(count: number, timeoutMs?: number): Promise<ReceivedLogRecord[]>
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>
  close(): Promise<void>
}

/** An empty ExportTraceServiceResponse, or one carrying partial success. */
export function traceResponseBytes(partialSuccess?: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  const type = traceService.ExportTraceServiceResponse
  return type.encode(type.fromObject(partialSuccess ? { partialSuccess } : {})).finish()
}

/** An empty ExportLogsServiceResponse, or one carrying partial success. */
export function logsResponseBytes(partialSuccess?: { rejectedLogRecords: number; errorMessage: string }): Uint8Array {
  const type = logsService.ExportLogsServiceResponse
  return type.encode(type.fromObject(partialSuccess ? { partialSuccess } : {})).finish()
}

export function startOtlpReceiver(reply: (request: ReceivedRequest, index: number) => Reply = () => ({ status: 200 })): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = []
  const acceptedSpans: ReceivedSpan[] = []
  const acceptedLogRecords: ReceivedLogRecord[] = []
  const waiters = new Set<() => void>()
  const hanging = new Set<ServerResponse>()
  const notify = (): void => {
    for (const waiter of waiters) waiter()
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks)
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody
      const contentType = req.headers['content-type'] ?? ''
      const path = req.url ?? ''
      const isLogs = path.startsWith('/v1/logs')
      const json = contentType.includes('json')
      const spans = isLogs ? [] : json ? spansFromJson(body) : spansFromProtobuf(body)
      const logRecords = !isLogs ? [] : json ? logRecordsFromJson(body) : logRecordsFromProtobuf(body)
      const request: ReceivedRequest = { receivedAtMs: Date.now(), path, headers: req.headers, rawBody, spans, logRecords }
      const index = requests.push(request) - 1
      const answer = reply(request, index)
      if (answer === 'hang') {
        hanging.add(res)
        notify()
        return
      }
      if (answer.status >= 200 && answer.status < 300) {
        acceptedSpans.push(...spans)
        acceptedLogRecords.push(...logRecords)
      }
      const responseBody = answer.body ?? (json ? '{}' : isLogs ? logsResponseBytes() : traceResponseBytes())
      res.writeHead(answer.status, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf', ...answer.headers })
      res.end(responseBody)
      notify()
    })
  })

  const waitUntil = <T>(ready: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const value = ready()
        if (value === undefined) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve(value)
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(
          new Error(`receiver: timed out after ${timeoutMs} ms waiting for ${what} (have ${requests.length} requests, ${acceptedSpans.length} accepted spans)`),
        )
      }, timeoutMs)
      waiters.add(check)
      check()
    })

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}/v1/traces`,
        logsUrl: `http://127.0.0.1:${port}/v1/logs`,
        port,
        requests,
        acceptedSpans,
        acceptedLogRecords,
        waitForAcceptedSpans: (count, timeoutMs = 10_000) =>
          waitUntil(() => (acceptedSpans.length >= count ? acceptedSpans : undefined), `${count} accepted spans`, timeoutMs),
        waitForAcceptedLogRecords: (count, timeoutMs = 10_000) =>
          waitUntil(() => (acceptedLogRecords.length >= count ? acceptedLogRecords : undefined), `${count} accepted log records`, timeoutMs),
        waitForRequests: (count, timeoutMs = 10_000) => waitUntil(() => (requests.length >= count ? requests : undefined), `${count} requests`, timeoutMs),
        close: () =>
          new Promise<void>((done) => {
            for (const res of hanging) res.socket?.destroy()
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}

/** A port on 127.0.0.1 that nothing listens on (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

// ---- decoding -------------------------------------------------------------

type Obj = Record<string, unknown>

function hex(bytes: unknown): string {
  if (bytes === undefined || bytes === null) return ''
  return Buffer.from(bytes as Uint8Array).toString('hex')
}

function valueOf(any: Obj | undefined): ReceivedValue {
  if (any === undefined) return { type: 'unknown', value: undefined }
  if ('stringValue' in any) return { type: 'string', value: String(any.stringValue) }
  if ('intValue' in any) return { type: 'int', value: String(any.intValue) }
  if ('doubleValue' in any) return { type: 'double', value: Number(any.doubleValue) }
  if ('boolValue' in any) return { type: 'bool', value: Boolean(any.boolValue) }
  if ('arrayValue' in any) return { type: 'array', value: (((any.arrayValue as Obj).values ?? []) as Obj[]).map(valueOf) }
  return { type: 'unknown', value: any }
}

function attributesOf(list: unknown): Record<string, ReceivedValue> {
  const out: Record<string, ReceivedValue> = {}
  for (const kv of (list ?? []) as Obj[]) out[String(kv.key)] = valueOf(kv.value as Obj)
  return out
}

function normalise(request: Obj, id: (raw: unknown) => string): ReceivedSpan[] {
  const out: ReceivedSpan[] = []
  for (const rs of (request.resourceSpans ?? []) as Obj[]) {
    const resource = attributesOf((rs.resource as Obj | undefined)?.attributes)
    for (const ss of (rs.scopeSpans ?? []) as Obj[]) {
      const scopeObj = (ss.scope ?? {}) as Obj
      const scope = { name: String(scopeObj.name ?? ''), version: String(scopeObj.version ?? '') }
      for (const span of (ss.spans ?? []) as Obj[]) {
        const status = (span.status ?? {}) as Obj
        out.push({
          traceId: id(span.traceId),
          spanId: id(span.spanId),
          parentSpanId: id(span.parentSpanId),
          traceState: String(span.traceState ?? ''),
          flags: Number(span.flags ?? 0),
          name: String(span.name ?? ''),
          kind: Number(span.kind ?? 0),
          startTimeUnixNano: String(span.startTimeUnixNano ?? '0'),
          endTimeUnixNano: String(span.endTimeUnixNano ?? '0'),
          attributes: attributesOf(span.attributes),
          events: ((span.events ?? []) as Obj[]).map((e) => ({
            name: String(e.name ?? ''),
            timeUnixNano: String(e.timeUnixNano ?? '0'),
            attributes: attributesOf(e.attributes),
          })),
          links: ((span.links ?? []) as Obj[]).map((l) => ({
            traceId: id(l.traceId),
            spanId: id(l.spanId),
            traceState: String(l.traceState ?? ''),
            attributes: attributesOf(l.attributes),
          })),
          status: { code: Number(status.code ?? 0), message: String(status.message ?? '') },
          resource,
          scope,
        })
      }
    }
  }
  return out
}

function spansFromProtobuf(body: Buffer): ReceivedSpan[] {
  const type = traceService.ExportTraceServiceRequest
  const message = type.decode(body)
  // longs as decimal strings: uint64 nanoseconds do not fit a double.
  const plain = type.toObject(message, { longs: String, enums: Number, defaults: false })
  return normalise(plain, hex)
}

function spansFromJson(body: Buffer): ReceivedSpan[] {
  // OTLP/JSON: ids are hex strings, 64-bit integers may be strings or numbers.
  const plain = JSON.parse(body.toString('utf8')) as Obj
  return normalise(plain, (raw) => (raw === undefined || raw === null ? '' : String(raw)))
}

function normaliseLogs(request: Obj, id: (raw: unknown) => string): ReceivedLogRecord[] {
  const out: ReceivedLogRecord[] = []
  for (const rl of (request.resourceLogs ?? []) as Obj[]) {
    const resource = attributesOf((rl.resource as Obj | undefined)?.attributes)
    for (const sl of (rl.scopeLogs ?? []) as Obj[]) {
      const scopeObj = (sl.scope ?? {}) as Obj
      const scope = { name: String(scopeObj.name ?? ''), version: String(scopeObj.version ?? '') }
      for (const record of (sl.logRecords ?? []) as Obj[]) {
        out.push({
          traceId: id(record.traceId),
          spanId: id(record.spanId),
          flags: Number(record.flags ?? 0),
          timeUnixNano: String(record.timeUnixNano ?? '0'),
          observedTimeUnixNano: String(record.observedTimeUnixNano ?? '0'),
          severityNumber: Number(record.severityNumber ?? 0),
          severityText: String(record.severityText ?? ''),
          body: valueOf(record.body as Obj | undefined),
          attributes: attributesOf(record.attributes),
          resource,
          scope,
        })
      }
    }
  }
  return out
}

function logRecordsFromProtobuf(body: Buffer): ReceivedLogRecord[] {
  const type = logsService.ExportLogsServiceRequest
  return normaliseLogs(type.toObject(type.decode(body), { longs: String, enums: Number, defaults: false }), hex)
}

function logRecordsFromJson(body: Buffer): ReceivedLogRecord[] {
  const plain = JSON.parse(body.toString('utf8')) as Obj
  return normaliseLogs(plain, (raw) => (raw === undefined || raw === null ? '' : String(raw)))
}
