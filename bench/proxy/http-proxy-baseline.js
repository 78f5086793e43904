// The naive Node reverse proxy: http-proxy with a keep-alive agent, nothing else.
// Usage: node bench/proxy/http-proxy-baseline.js <upstream-url>  (prints its port)
import http from 'node:http'
import httpProxy from 'http-proxy'

const target = process.argv[2]
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true })
proxy.on('error', (_err, _req, res) => {
  if (!res.headersSent) res.writeHead(502)
  res.end()
})
const server = http.createServer((req, res) => proxy.web(req, res))
server.keepAliveTimeout = 65_000
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`))
process.on('SIGTERM', () => process.exit(0))
