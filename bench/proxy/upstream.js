// The cheapest useful upstream: a keep-alive HTTP server answering 200 "ok"
// with no work, so that what the benchmark measures is the proxy in front of it.
// Usage: node bench/proxy/upstream.js [port]  (prints the port it listens on)
import http from 'node:http'

const body = Buffer.from('ok\n')
const server = http.createServer((req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 65_000
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`)
})
process.on('SIGTERM', () => process.exit(0))
