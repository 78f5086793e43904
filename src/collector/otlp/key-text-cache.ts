/**
 * The text of the attribute keys read so far from one request body, by their
 * bytes. A batch repeats the same few keys in every span; decoding one again
 * is a native call making a new string, which V8 then looks up in its string
 * table when it becomes a property name. A repeated key here costs a byte
 * comparison and returns the string already made (already a property name).
 *
 * One slot per hash of the key's length and three of its bytes; keys that
 * share a slot take turns in it (a miss decodes, as without the cache). A slot
 * holds where in the body its key's bytes are, so nothing is copied.
 */
import type { ProtoWireReader } from './proto-wire-reader.js'

const SLOTS = 256
/** Longer keys are decoded each time: rare, and their comparison costs more. */
const MAX_CACHED_BYTES = 64

export class KeyTextCache {
  private readonly starts = new Int32Array(SLOTS)
  /** 0: the slot is empty. */
  private readonly lengths = new Int32Array(SLOTS)
  private readonly texts: string[] = new Array<string>(SLOTS).fill('')

  constructor(private readonly r: ProtoWireReader) {}

  /** Bytes `start` to `end` of the reader's buffer as UTF-8 text. */
  text(start: number, end: number): string {
    const length = end - start
    if (length === 0 || length > MAX_CACHED_BYTES) return this.r.utf8(start, end)
    const buf = this.r.buf
    const slot = (length * 31 + buf[start]! * 7 + buf[start + (length >> 1)]! * 3 + buf[end - 1]!) & (SLOTS - 1)
    if (this.lengths[slot] === length) {
      const cachedStart = this.starts[slot]!
      let i = 0
      while (i < length && buf[cachedStart + i] === buf[start + i]) i++
      if (i === length) return this.texts[slot]!
    }
    const text = this.r.utf8(start, end)
    this.starts[slot] = start
    this.lengths[slot] = length
    this.texts[slot] = text
    return text
  }
}
