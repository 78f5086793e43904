/**
 * The worker's view of the exporter's shutdown: a flag and a deadline in
 * shared memory that the main thread writes (ShutdownSignal) and workers read
 * (ShutdownWatch). Shared memory rather than messages because a worker is
 * usually parked in a retry wait, and Atomics lets that wait end at once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { SHUTDOWN_DEADLINE_INDEX, SHUTDOWN_FLAG_INDEX, SHUTDOWN_STATE_BYTES } from './export-task.js'

// Atomics.waitAsync is in Node 20 (V8 >= 8.7) but typed only from lib es2024.
type WaitAsync = (
  typedArray: Int32Array,
  index: number,
  value: number,
  timeoutMs?: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> }

const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync

export function createShutdownState(): SharedArrayBuffer {
  return new SharedArrayBuffer(SHUTDOWN_STATE_BYTES)
}

/** Main thread side. */
export class ShutdownSignal {
  private readonly flag: Int32Array
  private readonly deadline: Float64Array

  constructor(readonly state: SharedArrayBuffer) {
    this.flag = new Int32Array(state)
    this.deadline = new Float64Array(state)
  }

  begin(deadlineUnixMs: number): void {
    this.deadline[SHUTDOWN_DEADLINE_INDEX] = deadlineUnixMs
    Atomics.store(this.flag, SHUTDOWN_FLAG_INDEX, 1)
    Atomics.notify(this.flag, SHUTDOWN_FLAG_INDEX)
  }
}

/** Worker side. */
export class ShutdownWatch {
  private readonly flag: Int32Array
  private readonly deadline: Float64Array

  constructor(state: SharedArrayBuffer) {
    this.flag = new Int32Array(state)
    this.deadline = new Float64Array(state)
  }

  /** Infinity until shutdown begins. */
  msUntilDeadline(): number {
    if (Atomics.load(this.flag, SHUTDOWN_FLAG_INDEX) === 0) return Infinity
    return this.deadline[SHUTDOWN_DEADLINE_INDEX]! - Date.now()
  }

  /**
   * Waits `waitMs` before a retry. Returns false, without waiting out the
   * rest, as soon as shutdown makes it clear the retry would start past the
   * deadline: the batch is then given up and counted by the main thread.
   */
  async sleepUnlessPastDeadline(waitMs: number): Promise<boolean> {
    const startedAt = Date.now()
    if (this.msUntilDeadline() < waitMs) return false
    if (Atomics.load(this.flag, SHUTDOWN_FLAG_INDEX) === 0) {
      const wait = waitAsync(this.flag, SHUTDOWN_FLAG_INDEX, 0, waitMs)
      const result = wait.async ? await wait.value : wait.value
      if (result === 'timed-out') return true
    }
    const leftMs = waitMs - (Date.now() - startedAt)
    if (leftMs <= 0) return true
    if (this.msUntilDeadline() < leftMs) return false
    await sleep(leftMs)
    return true
  }
}
