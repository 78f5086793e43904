import fs from 'node:fs'
import { dirname } from 'node:path'
import { formatAccessLine } from './access-log-line.js'
import type { Exchange, ExchangeObserver } from './exchange.js'

/**
 * One JSON line per request (built by access-log-line.ts, a fixed-field
 * writer that produces pino's line for a quarter of pino's cost). Field names
 * are snake_case with `trace_id` / `span_id` as log pipelines (Loki, Elastic,
 * Datadog) expect them for trace correlation.
 *
 * What the request path pays for writing is a string append: lines gather in
 * a JS string (a rope: appending does not copy), which is encoded every
 * ENCODE_CHARS characters into the block being filled (a reused buffer); a
 * block of BLOCK_BYTES goes to libuv's thread pool (fs.write), so the request
 * path never waits on the disk or a pipe.
 *
 * Measured with bench/access-log-line.bench.js (CPU per line, all threads,
 * above building the line; Node 20, a busy 2-CPU machine): ~0.3 µs of it is
 * encoding (mostly flattening the rope); the rest is each asynchronous
 * write's thread-pool round trip (~20 µs of CPU on an idle machine, more on a
 * busy one; a synchronous write(2) of the block is ~2 µs) shared by the lines
 * in its block: 1.2–3 µs a line in 4 KiB blocks (~10 lines), ~1 in 16 KiB,
 * 0.5–0.7 in 128 KiB, ~0.5 in 256 KiB. Before, one pino destination
 * (sonic-boom) `write()` per line cost 4–7 µs a line: in text mode it
 * re-measures the UTF-8 length of the block it is filling on every write.
 * Handing sonic-boom whole 64 KiB blocks instead cost 0.1–0.3 µs a line more
 * than this writer (a fresh Buffer per block; on Node 22.7+, the Docker
 * image's, sonic-boom copies each one again). And as it was set up (no
 * maxLength) sonic-boom held whatever a slow destination had not taken:
 * ~70 MB of heap per 200 000 lines once a pipe's reader stopped.
 *
 * Guarantees: blocks of at least BLOCK_BYTES, or whatever is pending every
 * FLUSH_INTERVAL_MS (a quiet service's lines show up within a second);
 * `close()` writes everything pending, then closes; process exit without
 * close() (process.exit, an uncaught exception) writes it synchronously; lines
 * are written whole and in order. Memory is bounded: when the destination
 * falls more than MAX_QUEUED_BYTES behind (a stalled disk, a pipe nobody
 * reads), new blocks are dropped and counted in `droppedLines` instead of
 * held. A destination that fails (cannot be opened, ENOSPC, EPIPE) is
 * reported once per kind of error, and the lines it cannot take are dropped
 * and counted; the proxy carries on.
 *
 * The price of big blocks: a process killed outright (SIGKILL, the OOM
 * killer) loses the block being filled: at most BLOCK_BYTES (~330 lines) or
 * FLUSH_INTERVAL_MS of lines, whichever is less (4 KiB, ~10 lines, before).
 */
export class AccessLog implements ExchangeObserver {
  private readonly file: BlockFile
  private readonly serviceName: string
  private readonly encodeChars: number
  private readonly timer: NodeJS.Timeout
  /** Lines not yet handed to the file, and how many. */
  private pending = ''
  private pendingLines = 0
  private closing: Promise<void> | undefined
  private droppedAfterClose = 0

  constructor(destination: string, serviceName: string, options: AccessLogOptions = {}) {
    const dest = destination === 'stdout' ? 1 : destination === 'stderr' ? 2 : destination
    const onError =
      options.onError ??
      (dest === 2
        ? () => {}
        : (err: Error) => void process.stderr.write(`tracecar proxy: access log ${destination}: ${err.message} (lines it cannot take are dropped)\n`))
    const blockBytes = options.blockBytes ?? BLOCK_BYTES
    this.file = new BlockFile(dest, blockBytes, options.maxQueuedBytes ?? MAX_QUEUED_BYTES, onError)
    this.serviceName = serviceName
    this.encodeChars = Math.min(ENCODE_CHARS, blockBytes)
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS)
    this.timer.unref()
    process.on('exit', this.writeOutAtExit)
  }

  /**
   * Lines dropped: the destination fell more than `maxQueuedBytes` behind or
   * failed, or the line came after `close()`. Whole lines only.
   */
  get droppedLines(): number {
    return this.file.droppedLines + this.droppedAfterClose
  }

  onExchangeEnd(ex: Exchange): void {
    if (this.closing !== undefined) {
      this.droppedAfterClose++
      return
    }
    this.pending += formatAccessLine(ex, this.serviceName, Date.now())
    this.pendingLines++
    if (this.pending.length >= this.encodeChars) this.handOver()
  }

  /** Writes out what is pending and closes the destination (shutdown). Resolves once it is closed. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      clearInterval(this.timer)
      this.flush()
      this.closing = this.file.end().then(() => void process.off('exit', this.writeOutAtExit))
    }
    return this.closing
  }

  /**
   * A process that exits without close() (process.exit, an uncaught
   * exception) still writes its lines, synchronously, as pino's destination
   * did.
   */
  private readonly writeOutAtExit = (): void => {
    this.file.writeOutSync(this.pending, this.pendingLines)
    this.pending = ''
    this.pendingLines = 0
  }

  /** Encodes the pending lines into the file's block. */
  private handOver(): void {
    if (this.pendingLines === 0) return
    this.file.append(this.pending, this.pendingLines)
    this.pending = ''
    this.pendingLines = 0
  }

  /** Writes what there is, however little (every FLUSH_INTERVAL_MS, and at close). */
  private flush(): void {
    this.handOver()
    this.file.seal()
  }
}

export interface AccessLogOptions {
  /** Block size, in bytes (default BLOCK_BYTES). */
  blockBytes?: number
  /** Bytes not yet written beyond which blocks are dropped (default MAX_QUEUED_BYTES); keep it well above the block size. */
  maxQueuedBytes?: number
  /** Told of the destination's first failure of each kind (default: a line on stderr, nothing when the log is stderr). */
  onError?: (err: Error) => void
}

/**
 * Lines are written in blocks of at least this many bytes (about 330 lines):
 * the CPU cost per line of asynchronous writes falls with the block size,
 * what a killed process loses grows with it (above).
 */
const BLOCK_BYTES = 128 * 1024
/**
 * Pending lines are encoded into the block every this many characters: the
 * encoding flattens the string first, and a flat string this small is
 * allocated among V8's young objects; one of a whole block's size would be a
 * fresh large object (page faults) every time.
 */
const ENCODE_CHARS = 16 * 1024
/** ...and at least this often, so a quiet service's lines still show up promptly. */
const FLUSH_INTERVAL_MS = 1000
/**
 * How far the destination may fall behind before new blocks are dropped (and
 * counted) rather than held: about 40 000 lines, a few seconds of a busy
 * service's lines (~22 MB of block buffers, with their room for one more
 * encoded piece).
 */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024
/** Spare block buffers kept for reuse. */
const SPARE_BUFFERS = 2
/** A non-blocking pipe or terminal that is full (EAGAIN) is tried again after this long. */
const BUSY_RETRY_MS = 10
/** At most this many blocks per writev(2) when the destination has fallen behind. */
const MAX_BLOCKS_PER_WRITE = 64

interface Block {
  buf: Buffer
  bytes: number
  written: number
  lines: number
}

/**
 * An append-only file (or fd 1 / 2) written asynchronously, one block at a
 * time (or several with one writev(2) once it has fallen behind), in order.
 * Text is encoded into the block being filled, which is queued for writing
 * once it holds `blockBytes` (or on `seal()`); block buffers are reused.
 */
class BlockFile {
  droppedLines = 0
  private fd = -1
  /** False once the file could not be opened, or has been closed: blocks are then dropped. */
  private open = true
  /** The block being filled (`fill.bytes` so far), not yet queued. */
  private fill: Block | undefined
  /** Blocks to write, oldest first, and their bytes not yet written. */
  private readonly queue: Block[] = []
  private queuedBytes = 0
  private writing = false
  /** Set at process exit: nothing more is handed to the thread pool. */
  private exiting = false
  /** How many blocks at the front of the queue the write in flight covers. */
  private inFlight = 0
  private readonly spare: Buffer[] = []
  private readonly reported = new Set<string>()
  private ended: (() => void) | undefined

  constructor(
    dest: number | string,
    private readonly blockBytes: number,
    private readonly maxQueuedBytes: number,
    private readonly onError: (err: Error) => void,
  ) {
    if (typeof dest === 'number') {
      this.fd = dest
      return
    }
    fs.mkdir(dirname(dest), { recursive: true }, (mkdirErr) => {
      if (mkdirErr) return this.openFailed(mkdirErr)
      fs.open(dest, 'a', (openErr, fd) => {
        if (openErr) return this.openFailed(openErr)
        this.fd = fd
        this.pump()
      })
    })
  }

  /** Encodes `text` (`lines` whole lines) into the block being filled; queues the block once full. */
  append(text: string, lines: number): void {
    if (!this.open) {
      this.droppedLines += lines
      return
    }
    const bytes = Buffer.byteLength(text)
    let fill = this.fill
    if (fill !== undefined && fill.buf.length - fill.bytes < bytes) {
      this.seal()
      fill = undefined
    }
    if (fill === undefined) {
      let buf = this.spare.pop()
      // Room for a block and the text that completes it.
      if (buf === undefined || buf.length < bytes) buf = Buffer.allocUnsafeSlow(Math.max(this.blockBytes + ENCODE_CHARS * 3, bytes))
      fill = this.fill = { buf, bytes: 0, written: 0, lines: 0 }
    }
    fill.bytes += fill.buf.write(text, fill.bytes, bytes, 'utf8')
    fill.lines += lines
    if (fill.bytes >= this.blockBytes) this.seal()
  }

  /** Queues the block being filled, however little it holds, or drops it when the queue is full. */
  seal(): void {
    const b = this.fill
    if (b === undefined) return
    this.fill = undefined
    if (!this.open || this.queuedBytes + b.bytes > this.maxQueuedBytes) return this.release(b)
    this.queue.push(b)
    this.queuedBytes += b.bytes
    this.pump()
  }

  /** Resolves once everything queued is written and the file is closed (fd 1 and 2 stay open). */
  end(): Promise<void> {
    return new Promise((resolve) => {
      this.ended = resolve
      this.seal()
      this.pump()
    })
  }

  /**
   * At process exit (no event loop any more): writes what is queued, being
   * filled and `text`, synchronously, and nothing after. A write the thread
   * pool already has is left to it.
   */
  writeOutSync(text: string, lines: number): void {
    if (this.fd < 0 || !this.open) return
    this.exiting = true
    if (lines > 0) this.append(text, lines)
    this.open = false
    const blocks = this.queue.slice(this.inFlight)
    if (this.fill !== undefined) blocks.push(this.fill)
    try {
      for (const b of blocks) while (b.written < b.bytes) b.written += fs.writeSync(this.fd, b.buf, b.written, b.bytes - b.written)
    } catch {
      // EAGAIN, EPIPE...: there is no later at exit.
    }
  }

  private pump(): void {
    if (this.writing || this.exiting || (this.fd < 0 && this.open)) return // busy, exiting, or still opening
    if (this.queue.length === 0) {
      if (this.ended !== undefined) this.close()
      return
    }
    this.writing = true
    if (this.queue.length === 1) {
      const b = this.queue[0]!
      this.inFlight = 1
      fs.write(this.fd, b.buf, b.written, b.bytes - b.written, null, this.written)
    } else {
      const slices = this.queue.slice(0, MAX_BLOCKS_PER_WRITE).map((b) => b.buf.subarray(b.written, b.bytes))
      this.inFlight = slices.length
      fs.writev(this.fd, slices, null, this.written)
    }
  }

  private readonly written = (err: NodeJS.ErrnoException | null, n: number): void => {
    this.inFlight = 0
    if (err !== null ? err.code === 'EAGAIN' || err.code === 'EBUSY' : n === 0) {
      setTimeout(() => {
        this.writing = false
        this.pump()
      }, BUSY_RETRY_MS)
      return
    }
    this.writing = false
    if (err !== null) {
      // EPIPE, ENOSPC, EIO...: drop the block (what is left of it: after a
      // part-written block, a full disk leaves a part line) and carry on with
      // the next ones (the disk may get space again, a pipe will not).
      this.report(err)
      const b = this.queue.shift()!
      this.queuedBytes -= b.bytes - b.written
      this.release(b)
    } else {
      this.consume(n)
    }
    this.pump()
  }

  /** Marks `n` bytes written, front of the queue first. */
  private consume(n: number): void {
    while (n > 0) {
      const b = this.queue[0]!
      const left = b.bytes - b.written
      if (n < left) {
        b.written += n
        this.queuedBytes -= n
        return
      }
      n -= left
      this.queuedBytes -= left
      this.queue.shift()
      this.reuse(b.buf)
    }
  }

  /** A block that will not be written: its lines are counted as dropped. */
  private release(b: Block): void {
    this.droppedLines += b.lines
    this.reuse(b.buf)
  }

  private reuse(buf: Buffer): void {
    if (this.spare.length < SPARE_BUFFERS) this.spare.push(buf)
  }

  private openFailed(err: Error): void {
    this.open = false
    this.report(err)
    for (const b of this.queue.splice(0)) this.release(b)
    this.queuedBytes = 0
    this.pump()
  }

  private report(err: NodeJS.ErrnoException): void {
    const kind = err.code ?? err.message
    if (this.reported.has(kind)) return
    this.reported.add(kind)
    this.onError(err)
  }

  private close(): void {
    const done = this.ended!
    this.ended = undefined
    this.open = false
    if (this.fd < 0 || this.fd === 1 || this.fd === 2) return done()
    const fd = this.fd
    // fsync as sonic-boom did before closing; its errors (an fd that cannot sync) do not matter.
    fs.fsync(fd, () => fs.close(fd, () => done()))
  }
}
