// Open-loop latency at a fixed request rate with microsecond resolution.
//
// autocannon records latency in whole milliseconds, too coarse to see what a
// proxy adds (tens to hundreds of microseconds). This sends requests on a fixed
// schedule (not "as fast as replies come back", which would hide queueing:
// coordinated omission) over keep-alive connections and records each latency
// from its scheduled start, in microseconds, into an HDR histogram.
//
// Usage: node bench/proxy/latency-probe.js <url> <rate/s> <seconds> [connections]
// Prints one JSON line: { rate, sent, errors, p50Us, p99Us, p999Us, maxUs }.
import http from 'node:http'
import hdr from 'hdr-histogram-js'

const [url, rateArg, secondsArg, connectionsArg] = process.argv.slice(2)
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const connections = Number(connectionsArg ?? 16)
const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })

let sent = 0
let done = 0
let errors = 0
const total = Math.round(rate * seconds)
const intervalNs = 1e9 / rate
const start = process.hrtime.bigint()

function fire(scheduledNs) {
  sent++
  const req = http.get(url, { agent }, (res) => {
    res.resume()
    res.on('end', () => {
      const latencyUs = Number((process.hrtime.bigint() - scheduledNs) / 1000n)
      if (res.statusCode !== 200) errors++
      histogram.recordValue(Math.max(1, latencyUs))
      finish()
    })
  })
  req.on('error', () => {
    errors++
    finish()
  })
}

function finish() {
  if (++done < total) return
  agent.destroy()
  process.stdout.write(
    JSON.stringify({
      rate,
      sent,
      errors,
      p50Us: histogram.getValueAtPercentile(50),
      p99Us: histogram.getValueAtPercentile(99),
      p999Us: histogram.getValueAtPercentile(99.9),
      maxUs: histogram.maxValue,
    }) + '\n',
  )
}

// Tick every millisecond and fire whatever the schedule says is due.
const timer = setInterval(() => {
  const now = process.hrtime.bigint()
  while (sent < total) {
    const due = start + BigInt(Math.round(sent * intervalNs))
    if (due > now) break
    fire(due)
  }
  if (sent >= total) clearInterval(timer)
}, 1)
