#!/usr/bin/env node
// Micro-benchmark: the collector's CPU per request to ClickHouse, by way of
// @clickhouse/client (a command, and a query whose JSONEachRow answer is read)
// against a bare node:http POST of the same statement on a keep-alive agent.
// A ClickHouse store makes three requests per group of span batches (the
// lookup of spans already stored, the insert, the calls), so this per-request
// cost is paid per group, whatever the group holds. Requests one after the
// other, in alternating rounds after two of each to warm up; CPU time from
// process.cpuUsage() (ClickHouse's own is not counted).
//   node bench/collector/clickhouse-request-cost.bench.js http://127.0.0.1:8123 [--requests 2000] [--rounds 3]
import http from 'node:http'
import { parseArgs } from 'node:util'
import { createClient } from '@clickhouse/client'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } },
})
const url = positionals[0]
if (url === undefined) throw new Error('give the ClickHouse HTTP address, e.g. http://127.0.0.1:8123')
const requests = Number(values.requests)
const rounds = Number(values.rounds)

const client = createClient({ url, request_timeout: 30_000, log: { level: 127 } })
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const STATEMENT = 'SELECT 1'

function bare() {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ClickHouse answered ${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end(STATEMENT)
  })
}

const paths = {
  'client.command': () => client.command({ query: STATEMENT }),
  'client.query + json()': async () => (await client.query({ query: STATEMENT, format: 'JSONEachRow' })).json(),
  'bare node:http POST': bare,
}

/** µs of CPU per request for `requests` requests one after the other. */
async function pass(request) {
  const before = process.cpuUsage()
  for (let i = 0; i < requests; i++) await request()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / requests
}

for (let i = 0; i < 2; i++) for (const request of Object.values(paths)) await pass(request)
const times = Object.fromEntries(Object.keys(paths).map((name) => [name, []]))
for (let round = 0; round < rounds; round++) for (const [name, request] of Object.entries(paths)) times[name].push(await pass(request))
for (const [name, list] of Object.entries(times)) {
  const sorted = [...list].sort((a, b) => a - b)
  console.log(`${name.padEnd(24)} ${sorted[sorted.length >> 1].toFixed(0)} µs CPU per request (median; rounds ${list.map((t) => t.toFixed(0)).join(' ')})`)
}
await client.close()
agent.destroy()
