/**
 * A small seeded pseudo-random generator (mulberry32) for tests that must be
 * reproducible from a printed seed: the same seed gives the same sequence on
 * every machine and Node version, which Math.random cannot promise.
 */
export class SeededPrng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** A generator of its own for item `n` of a run, so an item can be replayed without the ones before it. */
  static forItem(seed: number, n: number): SeededPrng {
    // Two rounds of a 32-bit mix so neighbouring items do not start on correlated states.
    let h = (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
    return new SeededPrng((h ^ (h >>> 16)) >>> 0)
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0)
    let at = this.next() * total
    for (const [weight, value] of choices) {
      at -= weight
      if (at < 0) return value
    }
    return choices[choices.length - 1]![1]
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length)
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255)
    return out
  }
}
