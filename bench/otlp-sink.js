#!/usr/bin/env node
// A tiny OTLP/HTTP sink for benchmarks: accepts traces (and logs), counts them,
// discards them, and answers 200 with an empty Export*ServiceResponse.
//
//   node bench/otlp-sink.js [--port 4318] [--host 127.0.0.1]
//
// On start it prints one JSON line: {"event":"listening","port":N,"url":"http://HOST:N"}
// (use --port 0 for any free port). GET /stats returns
// {"requests":N,"spans":N,"logRecords":N,"bytes":N}; POST /reset zeroes them.
// On SIGINT/SIGTERM it prints {"event":"stopped",...stats} and exits 0.
// Protobuf is decoded with the protobufjs root generated from the official
// opentelemetry-proto files (shipped in @opentelemetry/otlp-transformer).
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import { gunzipSync } from 'node:zlib'

const { values } = parseArgs({
  options: { port: { type: 'string', default: '4318' }, host: { type: 'string', default: '127.0.0.1' } },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`otlp-sink: --port '${values.port}' is not a port number (0-65535)\n`)
  process.exit(2)
}

const root = createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js')
const collector = root.opentelemetry.proto.collector
const traceRequest = collector.trace.v1.ExportTraceServiceRequest
const logsRequest = collector.logs.v1.ExportLogsServiceRequest
const emptyTraceResponse = collector.trace.v1.ExportTraceServiceResponse.encode({}).finish()
const emptyLogsResponse = collector.logs.v1.ExportLogsServiceResponse.encode({}).finish()

const stats = { requests: 0, spans: 0, logRecords: 0, bytes: 0 }

function countSpans(request) {
  let n = 0
  for (const rs of request.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += (ss.spans ?? []).length
  return n
}

function countLogRecords(request) {
  let n = 0
  for (const rl of request.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) n += (sl.logRecords ?? []).length
  return n
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(stats))
    return
  }
  if (req.method === 'POST' && req.url === '/reset') {
    stats.requests = stats.spans = stats.logRecords = stats.bytes = 0
    res.writeHead(204)
    res.end()
    return
  }
  const signal = req.url === '/v1/traces' ? 'traces' : req.url === '/v1/logs' ? 'logs' : undefined
  if (req.method !== 'POST' || signal === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('otlp-sink: POST /v1/traces or /v1/logs\n')
    return
  }
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const raw = Buffer.concat(chunks)
    const json = String(req.headers['content-type'] ?? '').includes('json')
    try {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
      const decoded = json ? JSON.parse(body.toString('utf8')) : (signal === 'traces' ? traceRequest : logsRequest).decode(body)
      stats.requests++
      stats.bytes += raw.length
      if (signal === 'traces') stats.spans += countSpans(decoded)
      else stats.logRecords += countLogRecords(decoded)
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' })
      res.end(`otlp-sink: could not decode the request: ${err.message}\n`)
      return
    }
    if (json) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    } else {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' })
      res.end(signal === 'traces' ? emptyTraceResponse : emptyLogsResponse)
    }
  })
})

server.keepAliveTimeout = 30_000
server.listen(port, values.host, () => {
  const address = server.address()
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: address.port, url: `http://${values.host}:${address.port}` })}\n`)
})

function stop() {
  process.stdout.write(`${JSON.stringify({ event: 'stopped', ...stats })}\n`)
  server.close()
  server.closeAllConnections()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
