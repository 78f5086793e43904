/**
 * The container image's HEALTHCHECK: `node dist/k8s/healthcheck.js` (the slim image has no
 * curl). One image runs the sidecar (admin :15000/healthz, the default), the collector and
 * the webhook, so the URL comes from TRACECAR_HEALTHCHECK_URL. A loopback self-check of
 * the webhook's own self-signed HTTPS needs no certificate verification.
 * Exit 0 for a 2xx answer within 3 s, 1 for anything else (Docker's contract).
 */
import http from 'node:http'
import https from 'node:https'

const url = new URL(process.env.TRACECAR_HEALTHCHECK_URL ?? 'http://127.0.0.1:15000/healthz')
const client = url.protocol === 'https:' ? https : http
const req = client.get(url, { timeout: 3000, rejectUnauthorized: false }, (res) => {
  res.resume()
  process.exit(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1)
})
req.on('timeout', () => req.destroy(new Error('timed out')))
req.on('error', (error) => {
  process.stderr.write(`healthcheck ${url.href}: ${error.message}\n`)
  process.exit(1)
})
