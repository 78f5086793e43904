// The floor of Node's own stacks: node:http in front, one undici Pool behind,
// nothing else (no tracing, no logging, no metrics). What any Node proxy built
// on these two pays per request before doing anything of its own.
// Usage: node bench/proxy/bare-proxy.js <upstream-url>  (prints its port)
//
// It uses undici's callback handler contract (onConnect, onHeaders, onData,
// onComplete, onError) as tracecar's relay does: in undici 7 the
// onRequestStart/onResponseStart form is wrapped per request in an adapter
// that also parses the headers into an object, which would raise the floor.
import http from 'node:http'
import { Pool } from 'undici'

const upstream = new URL(process.argv[2])
const pool = new Pool(upstream.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 4_000 })

// Hop-by-hop (RFC 9110 §7.6.1) plus what undici refuses in request headers
// (expect: node:http answers 100-continue to the client itself).
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect'])

/** Copies raw [name, value, ...] pairs minus hop-by-hop and the names listed in Connection. */
function copyHeaders(raw, toString) {
  let listed
  for (let i = 0; i < raw.length; i += 2) {
    if (toString(raw[i]).toLowerCase() === 'connection') {
      listed ??= new Set()
      for (const name of toString(raw[i + 1]).split(',')) listed.add(name.trim().toLowerCase())
    }
  }
  const out = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = toString(raw[i])
    const lower = name.toLowerCase()
    if (HOP.has(lower) || listed?.has(lower)) continue
    out.push(name, toString(raw[i + 1]))
  }
  return out
}
const same = (s) => s
const latin1 = (b) => b.toString('latin1')

class Relay {
  constructor(res) {
    this.res = res
    this.abort = undefined
    this.clientGone = false
  }

  /** The client went away before its response was complete: stop the upstream request. */
  cancel() {
    this.clientGone = true
    this.abort?.()
  }

  onConnect(abort) {
    this.abort = abort
    if (this.clientGone) abort()
  }

  onHeaders(statusCode, rawHeaders, resume, statusText) {
    if (statusCode < 200) return true // 1xx: node:http deals with the client's 100-continue itself
    this.res.writeHead(statusCode, statusText, copyHeaders(rawHeaders, latin1))
    this.res.on('drain', resume)
    return true
  }

  onData(chunk) {
    // false pauses undici's parser (and the upstream socket) until the client drains.
    return this.res.write(chunk)
  }

  onComplete() {
    // Trailers are dropped (and so is the Trailer header).
    this.res.end()
  }

  onError() {
    const { res } = this
    if (this.clientGone) return
    if (res.headersSent)
      res.destroy() // mid-body: a truncated response is the only honest signal
    else {
      res.writeHead(502, { 'content-length': '0' })
      res.end()
    }
  }
}

const server = http.createServer((req, res) => {
  const relay = new Relay(res)
  res.on('close', () => {
    if (!res.writableFinished) relay.cancel()
  })
  const te = req.headers['transfer-encoding']
  const cl = req.headers['content-length']
  pool.dispatch(
    {
      path: req.url,
      method: req.method,
      headers: copyHeaders(req.rawHeaders, same),
      body: (cl !== undefined && cl !== '0') || te !== undefined ? req : null,
      idempotent: false, // a proxied request is never silently retried
    },
    relay,
  )
})
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
process.on('SIGTERM', () => process.exit(0))
