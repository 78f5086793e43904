/**
 * The requests a busy collector makes for every group of span batches (the
 * lookup of spans already stored, the insert, the calls' INSERT … SELECT)
 * and for every group of log batches, as plain POSTs to ClickHouse's HTTP
 * interface over node:http(s). Everything else (schema, searches, reads)
 * goes through @clickhouse/client.
 *
 * Why not the client here too: it costs the collector about 640 µs of CPU a
 * command and 855 µs a query with its JSON answer, where a bare POST of the
 * same statement costs 150 (bench/collector/clickhouse-request-cost.bench.js:
 * an abort controller and listeners per request, a stream pipeline around
 * the body whose end builds a DOMException, a query id, URL building), and
 * a group makes three of them: perf put the client and its streams at about
 * a tenth of the collector's CPU while ingesting.
 *
 * What it keeps of the client's behaviour: the same user, password and
 * database, keep-alive connections (Node's agent drops an idle one before
 * ClickHouse's Keep-Alive timeout, from the server's own header), the request
 * timeout, and failures as errors: a network error keeps its code (so a
 * server that is down reads as unreachable, store-unreachable.ts), and an
 * answer other than 200 is an error with ClickHouse's message and its
 * exception code.
 */
import http from 'node:http'
import https from 'node:https'
import type { ClickHouseLocation } from './clickhouse-url.js'

/** An answer other than 200: ClickHouse's message, and its exception code when it sent one. */
export class ClickHouseAnswerError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly exceptionCode: string | undefined,
  ) {
    super(message)
  }
}

/** Settings sent with one request, as URL parameters (e.g. max_query_size). */
export type ClickHouseUrlSettings = Readonly<Record<string, string>>

export class ClickHouseIngestHttp {
  private readonly agent: http.Agent
  private readonly request: typeof http.request
  private readonly base: string
  private readonly authorization: string

  constructor(
    location: ClickHouseLocation,
    private readonly timeoutMs: number,
  ) {
    const secure = location.url.startsWith('https:')
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
    this.request = secure ? https.request : http.request
    this.base = `${location.url}/?database=${encodeURIComponent(location.database)}`
    this.authorization = `Basic ${Buffer.from(`${location.username}:${location.password}`).toString('base64')}`
  }

  /** Rows in TabSeparated (whole lines, fields in the order of `columns`) into `table`; resolves once ClickHouse acknowledged them. */
  async insert(table: string, columns: readonly string[], chunks: readonly Buffer[]): Promise<void> {
    if (chunks.length === 0) return
    await this.post(`INSERT INTO ${table} (${columns.join(', ')}) FORMAT TabSeparated`, chunks)
  }

  /** A statement that answers no rows (an INSERT … SELECT). */
  async command(statement: string, settings?: ClickHouseUrlSettings): Promise<void> {
    await this.post(undefined, [Buffer.from(statement)], settings)
  }

  /** A SELECT's rows, as JSONEachRow reads them. */
  async rows<T>(select: string, settings?: ClickHouseUrlSettings): Promise<T[]> {
    const text = await this.post(undefined, [Buffer.from(`${select} FORMAT JSONEachRow`)], settings)
    const rows: T[] = []
    for (const line of text.split('\n')) if (line !== '') rows.push(JSON.parse(line) as T)
    return rows
  }

  close(): void {
    this.agent.destroy()
  }

  /**
   * One POST: the statement in the URL when `query` is given (the body is then its data), else in
   * the body. Resolves with the answer's text.
   */
  private post(query: string | undefined, body: readonly Buffer[], settings?: ClickHouseUrlSettings): Promise<string> {
    let url = this.base
    if (query !== undefined) url += `&query=${encodeURIComponent(query)}`
    if (settings !== undefined) for (const [name, value] of Object.entries(settings)) url += `&${name}=${encodeURIComponent(value)}`
    let length = 0
    for (const chunk of body) length += chunk.length
    return new Promise((resolve, reject) => {
      const req = this.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { Authorization: this.authorization, 'Content-Length': length, 'Content-Type': 'text/plain; charset=utf-8' },
        },
        (res) => {
          const parts: Buffer[] = []
          res.on('data', (part: Buffer) => parts.push(part))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8')
            if (res.statusCode === 200) resolve(text)
            else {
              // Newer servers send the code as a header; 18.16 only in the text ("Code: 27, e.displayText() = …").
              const header = res.headers['x-clickhouse-exception-code']
              const code = typeof header === 'string' ? header : /^Code: (\d+)/.exec(text)?.[1]
              reject(new ClickHouseAnswerError(`ClickHouse answered ${res.statusCode}: ${text.trim()}`, res.statusCode ?? 0, code))
            }
          })
        },
      )
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`ClickHouse request timeout after ${this.timeoutMs} ms`)))
      req.on('error', reject)
      for (const chunk of body) req.write(chunk)
      req.end()
    })
  }
}
