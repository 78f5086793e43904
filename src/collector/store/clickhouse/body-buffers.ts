/**
 * Buffers for insert bodies, reused once the insert they carried has
 * settled. A batch's rows take a few hundred KiB; a new buffer of that size
 * is fresh memory from the system, and the kernel faults in and zeroes each
 * of its pages as the rows first touch them: in a perf profile of the rows
 * alone (bench/collector/clickhouse-rows.bench.js) that was a tenth of their
 * CPU. A reused buffer's pages are already there.
 *
 * The free list is bounded in count and in each buffer's size, so what it
 * holds is what a few groups in flight use at once, not a high-water mark.
 */
export class BodyBuffers {
  private readonly free: Buffer[] = []

  /**
   * @param maxKept free buffers kept at most.
   * @param maxBytes a bigger buffer is not kept (one outsized batch does not stay resident).
   */
  constructor(
    private readonly maxKept = 8,
    private readonly maxBytes = 4 << 20,
  ) {}

  /** A buffer of at least `bytes`: the free buffer given back last when it is big enough, else a new one. */
  take(bytes: number): Buffer {
    const last = this.free[this.free.length - 1]
    if (last !== undefined && last.length >= bytes) {
      this.free.pop()
      return last
    }
    return Buffer.allocUnsafe(bytes)
  }

  /** Gives back a buffer nothing reads or writes any more. */
  give(buffer: Buffer): void {
    if (buffer.length > this.maxBytes) return
    if (this.free.length === this.maxKept) this.free.shift()
    this.free.push(buffer)
  }
}
