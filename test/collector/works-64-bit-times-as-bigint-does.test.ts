/**
 * The ClickHouse store's plain-span path works a span's times and duration
 * as two 32-bit halves, without a BigInt (src/collector/otlp/uint64-halves.ts):
 * their digits in a row, their milliseconds for RED and their order must be
 * exactly what the BigInt arithmetic of the decoded path gives, for any
 * 64-bit value. A failing value is printed in the assertion.
 */
import t from 'tap'
import { nanosToMs } from '../../src/collector/otlp/otlp-values.js'
import { halvesToMs, isBelow, Uint64Division } from '../../src/collector/otlp/uint64-halves.js'
import { TabSeparatedBody } from '../../src/collector/store/clickhouse/clickhouse-tab-separated.js'
import { SeededPrng } from '../helpers/seeded-prng.js'

const TWO_32 = 2n ** 32n

function halvesOf(value: bigint): { lo: number; hi: number } {
  return { lo: Number(value % TWO_32), hi: Number(value / TWO_32) }
}

/** Edge values, then values of every bit length with random bits. */
function values(): bigint[] {
  const p = new SeededPrng(20261203)
  const out = [0n, 1n, 9n, 10n, 999_999n, 1_000_000n, 999_999_999n, 1_000_000_000n, TWO_32 - 1n, TWO_32, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n]
  out.push(1_700_006_399_999_999_999n, 1_700_006_400_000_000_000n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n)
  // Around whole billions, where a quotient's first guess from doubles is one off.
  for (const billions of [1_700_000_000n, 4_294_967_296n, 9_223_372_036n, 18_446_744_072n]) {
    for (let d = -3n; d <= 3n; d++) out.push(billions * 1_000_000_000n + d, billions * 1_000_000_000n + 999_999_999n + d)
  }
  for (let bits = 1; bits <= 64; bits++) {
    for (let i = 0; i < 40; i++) {
      let value = 1n
      for (let b = 1; b < bits; b++) value = value * 2n + (p.chance(0.5) ? 1n : 0n)
      out.push(value)
    }
  }
  return out
}

t.test('a value divided by a whole number, its digits and its milliseconds are what BigInt gives', async (t) => {
  const division = new Uint64Division()
  let wrong = 0
  for (const value of values()) {
    const { lo, hi } = halvesOf(value)
    for (const divisor of [2048, 86_400, 1_000_000, 1_000_000_000, 2 ** 30]) {
      division.divide(lo, hi, divisor)
      const d = BigInt(divisor)
      if (BigInt(division.quotient) !== value / d || BigInt(division.remainder) !== value % d) {
        wrong++
        t.fail(`${value} / ${divisor}: ${division.quotient} rest ${division.remainder}, BigInt gives ${value / d} rest ${value % d}`)
      }
    }
    const body = new TabSeparatedBody(8)
    body.uint64(lo, hi)
    if (body.written().toString() !== `${value}\t`) {
      wrong++
      t.fail(`${value} written as ${JSON.stringify(body.written().toString())}`)
    }
    if (value < 2n ** 63n && !Object.is(halvesToMs(lo, hi), nanosToMs(value))) {
      wrong++
      t.fail(`${value} ns as ${halvesToMs(lo, hi)} ms, the decoded path ${nanosToMs(value)}`)
    }
  }
  t.equal(wrong, 0, `${values().length} values, each divided five ways, written and in ms`)
})

t.test('two values are ordered as BigInt orders them', async (t) => {
  const all = values()
  const p = new SeededPrng(7)
  let wrong = 0
  for (let i = 0; i < 5000; i++) {
    const a = p.pick(all)
    // Half the pairs share their high half, where the low halves decide.
    const b = p.chance(0.5) ? p.pick(all) : (a / TWO_32) * TWO_32 + BigInt(p.int(0, 2 ** 32 - 1))
    const x = halvesOf(a)
    const y = halvesOf(b)
    if (isBelow(x.lo, x.hi, y.lo, y.hi) !== a < b) {
      wrong++
      t.fail(`${a} < ${b} read as ${!(a < b)}`)
    }
  }
  t.equal(wrong, 0, '5,000 pairs')
})

t.test('small whole numbers are written as their digits', async (t) => {
  const body = new TabSeparatedBody(8)
  for (const n of [0, 7, 10, 99, 100, 4294967295, Number.MAX_SAFE_INTEGER]) body.uint(n)
  t.equal(body.written().toString(), `0\t7\t10\t99\t100\t4294967295\t${Number.MAX_SAFE_INTEGER}\t`)
})
