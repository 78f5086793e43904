/**
 * Insert bodies in ClickHouse's TabSeparated format, which every server
 * version reads (Debian's 18.16 too): one line per row, columns split by
 * tabs, written as UTF-8 into one buffer per insert. Cheaper for the
 * collector than a JSON object per row (JSONEachRow): no intermediate
 * objects, no JSON encoding of each value, one UTF-8 encoding of the body.
 *
 * Escaping, as ClickHouse reads it: in a String field a backslash, tab,
 * line feed and carriage return are written as \\, \t, \n, \r (the rest,
 * non-ASCII included, goes as its UTF-8 bytes); an Array(String) field is
 * `['a','b']`, each element quoted with ' and \ escaped, and tab, line feed
 * and carriage return escaped as above so the row stays one line.
 */
import { Readable } from 'node:stream'
import type { ClickHouseClient } from '@clickhouse/client'

const FIELD_SPECIAL = /[\\\t\n\r]/
const FIELD_SPECIAL_ALL = /[\\\t\n\r]/g
const QUOTED_SPECIAL = /[\\'\t\n\r]/
const QUOTED_SPECIAL_ALL = /[\\'\t\n\r]/g
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', "'": "\\'" }
const escapeOf = (c: string): string => ESCAPES[c]!

/** A String field. */
export function tsvString(value: string): string {
  return FIELD_SPECIAL.test(value) ? value.replace(FIELD_SPECIAL_ALL, escapeOf) : value
}

/** One element of an Array(String) field, quoted (join them with ',' inside '[' and ']'). */
export function tsvQuoted(value: string): string {
  return `'${QUOTED_SPECIAL.test(value) ? value.replace(QUOTED_SPECIAL_ALL, escapeOf) : value}'`
}

/**
 * An insert body being written: each line goes into the buffer as it is
 * added, so the text pieces it was made of are garbage at once instead of
 * one big string of pieces flattened at the end.
 */
export class TabSeparatedBody {
  private buffer: Buffer
  /** Bytes written so far: where the next line starts. */
  length = 0

  /** @param expectedBytes room to start with (the buffer doubles when a line does not fit). */
  constructor(expectedBytes: number) {
    this.buffer = Buffer.allocUnsafe(expectedBytes)
  }

  /** One row: its fields joined by tabs, ending in '\n'. */
  add(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const most = line.length * 3
    if (this.length + most > this.buffer.length && this.length + Buffer.byteLength(line) > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + most))
      this.buffer.copy(grown, 0, 0, this.length)
      this.buffer = grown
    }
    this.length += this.buffer.write(line, this.length, 'utf8')
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length)
  }
}

/**
 * Inserts rows given as pieces of bodies (each piece whole lines, fields in the order of `columns`),
 * sent one after the other without copying them together; resolves once ClickHouse acknowledged them.
 */
export async function insertTabSeparated(client: ClickHouseClient, table: string, columns: readonly string[], chunks: readonly Buffer[]): Promise<void> {
  if (chunks.length === 0) return
  await client.insert({
    table,
    columns: [...columns] as [string, ...string[]],
    values: Readable.from(chunks, { objectMode: false }),
    format: 'TabSeparated',
  })
}
