/**
 * Loki push API, JSON form (`Content-Type: application/json`):
 * `{"streams":[{"stream":{"app":"cart"},"values":[["<ns>","line",{"trace_id":"…"}]]}]}`.
 * Also the older form Promtail and Grafana Agent once sent:
 * `{"streams":[{"labels":"{app=\"cart\"}","entries":[{"ts":"RFC3339","line":"…"}]}]}`.
 */
import type { LokiEntry } from './loki-entry.js'
import { LokiPushError } from './loki-entry.js'
import { parseLokiLabels } from './loki-labels.js'

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function stringRecord(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {}
  if (!isObject(v)) throw new LokiPushError(`${where} must be an object of string values`)
  const out: Record<string, string> = {}
  for (const [k, value] of Object.entries(v)) out[k] = typeof value === 'string' ? value : JSON.stringify(value)
  return out
}

function nanosFromString(ts: unknown, where: string): bigint {
  if (typeof ts === 'string' && /^\d{1,20}$/.test(ts)) return BigInt(ts)
  if (typeof ts === 'number' && Number.isFinite(ts) && ts >= 0) return BigInt(Math.round(ts))
  throw new LokiPushError(`${where} timestamp ${JSON.stringify(ts)} must be Unix epoch nanoseconds as a string, e.g. "1700000000000000000"`)
}

function nanosFromRfc3339(ts: unknown, where: string): bigint {
  if (typeof ts !== 'string') throw new LokiPushError(`${where} ts must be an RFC 3339 time`)
  const ms = Date.parse(ts)
  if (Number.isNaN(ms)) throw new LokiPushError(`${where} ts ${JSON.stringify(ts)} is not an RFC 3339 time`)
  // Keep sub-millisecond digits Date.parse drops.
  const frac = /\.(\d+)/.exec(ts)?.[1] ?? ''
  const subMsNanos = frac.length > 3 ? BigInt(frac.slice(3, 9).padEnd(6, '0')) : 0n
  return BigInt(ms) * 1_000_000n + subMsNanos
}

export function decodeLokiPushJson(body: unknown): LokiEntry[] {
  if (!isObject(body) || !Array.isArray(body.streams)) throw new LokiPushError('Loki push body must be {"streams": [...]}')
  const out: LokiEntry[] = []
  body.streams.forEach((stream: unknown, si: number) => {
    const where = `streams[${si}]`
    if (!isObject(stream)) throw new LokiPushError(`${where} must be an object`)
    let labels: Record<string, string>
    if (typeof stream.labels === 'string') {
      try {
        labels = parseLokiLabels(stream.labels)
      } catch (err) {
        throw new LokiPushError(`${where}.labels: ${(err as Error).message}`)
      }
    } else {
      labels = stringRecord(stream.stream, `${where}.stream`)
    }
    if (Array.isArray(stream.values)) {
      stream.values.forEach((value: unknown, vi: number) => {
        const at = `${where}.values[${vi}]`
        if (!Array.isArray(value) || value.length < 2 || typeof value[1] !== 'string') {
          throw new LokiPushError(`${at} must be ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {metadata}]`)
        }
        out.push({ labels, timeUnixNano: nanosFromString(value[0], at), line: value[1], metadata: stringRecord(value[2], `${at}[2]`) })
      })
    } else if (Array.isArray(stream.entries)) {
      stream.entries.forEach((entry: unknown, ei: number) => {
        const at = `${where}.entries[${ei}]`
        if (!isObject(entry) || typeof entry.line !== 'string') throw new LokiPushError(`${at} must be {"ts": "...", "line": "..."}`)
        out.push({
          labels,
          timeUnixNano: nanosFromRfc3339(entry.ts ?? entry.timestamp, at),
          line: entry.line,
          metadata: stringRecord(entry.structuredMetadata, `${at}.structuredMetadata`),
        })
      })
    } else {
      throw new LokiPushError(`${where} has neither "values" nor "entries"`)
    }
  })
  return out
}
