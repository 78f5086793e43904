import type { Socket } from 'node:net'

/**
 * The engine's coarse clock: the time of the last sweep. States that start
 * counting "from now" read it instead of the system clock (at most one sweep
 * interval off, which is the timeouts' resolution anyway).
 */
export interface SweepClock {
  readonly nowMs: number
}

/**
 * An inactivity timeout without a timer per socket. A socket's `setTimeout`
 * re-arms a timer on every read and write and costs a timer-list insertion
 * each time its limit changes (six times per request through a proxy); here
 * a connection only notes its current limit, and one sweep per engine
 * compares the socket's byte counters with what it saw last time. Node's
 * server checks its headers and request timeouts the same way, and undici
 * keeps its timeouts at a one-second resolution.
 */
export class QuietWatch {
  /** How long the socket may stay quiet in its current state; 0: no limit. */
  private limitMs = 0
  private since = 0
  private bytes = 0

  constructor(private readonly clock: SweepClock) {}

  /** Enters a state with its own limit, counted from now. */
  arm(limitMs: number): void {
    this.limitMs = limitMs
    this.since = this.clock.nowMs
  }

  /** True once the socket moved no byte either way for the current limit; it then counts afresh. */
  expired(socket: Socket, nowMs: number): boolean {
    if (this.limitMs === 0) return false
    const bytes = socket.bytesRead + socket.bytesWritten
    if (bytes !== this.bytes) {
      this.bytes = bytes
      this.since = nowMs
      return false
    }
    if (nowMs - this.since < this.limitMs) return false
    this.since = nowMs
    return true
  }
}

/** The sweep's period: a quarter of the shortest limit, between 20 ms and 1 s. */
export function sweepIntervalMs(limits: readonly number[]): number {
  const shortest = Math.min(...limits.filter((limit) => limit > 0))
  return Math.max(20, Math.min(1000, Math.floor(shortest / 4)))
}
