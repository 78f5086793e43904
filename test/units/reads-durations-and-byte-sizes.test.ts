/**
 * The one duration grammar and the one byte-size grammar every command, file, API and
 * the UI share: what each accepts, what it refuses, and the sentence a user reads.
 */
import t from 'tap'
import { durationExpected, durationMs, formatDurationMs, parseDuration } from '../../src/units/duration.js'
import { formatBytes, parseByteSize } from '../../src/units/byte-size.js'

t.test('durations: one unit, several units summed, every unit', async (t) => {
  const cases: Array<[string, number]> = [
    ['500ms', 500],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['72h', 259_200_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['.5s', 500],
    ['250us', 0.25],
    ['800µs', 0.8],
    ['1000000ns', 1],
    // As people type them into a form or a flag.
    [' 250 ms ', 250],
    ['1H', 3_600_000],
    ['1.5S', 1500],
    ['1h 30m', 5_400_000],
  ]
  for (const [text, ms] of cases) t.equal(durationMs(text), ms, text)
})

t.test('durations: a bare number means what the caller says, or is refused', async (t) => {
  t.equal(durationMs('42'), undefined, 'no unit, no rule: refused')
  t.equal(durationMs('42', { bareNumberUnit: 'ms' }), 42)
  t.equal(durationMs('30', { bareNumberUnit: 's' }), 30_000)
  t.equal(durationMs('30s', { bareNumberUnit: 's' }), 30_000, 'a unit still works')
  const refused = parseDuration('42')
  t.notOk(refused.ok)
  if (!refused.ok) t.match(refused.problem, /^expected a duration: a number with a unit \(ns, us, ms, s, m, h, d, w\)/)
  const withBare = parseDuration('soon', { bareNumberUnit: 's' })
  if (!withBare.ok) t.match(withBare.problem, /or a bare number of seconds$/)
})

t.test('durations: what is not one', async (t) => {
  for (const text of ['', ' ', 'soon', 'forever', '-5ms', '5', 's', '5 lots', '1h-30m', '1y', '1hh', '5m later', '1e3ms', 'NaN', 'Infinity']) {
    t.equal(durationMs(text), undefined, JSON.stringify(text))
  }
})

t.test('durations: floors and zero', async (t) => {
  t.equal(durationMs('0s'), 0, 'zero is a duration')
  t.equal(durationMs('0s', { positive: true }), undefined)
  const short = parseDuration('50ms', { minMs: 100 })
  t.notOk(short.ok)
  if (!short.ok) t.match(short.problem, /^expected a duration of at least 100ms:/)
  t.equal(durationMs('100ms', { minMs: 100 }), 100, 'the floor is allowed')
  t.match(durationExpected({ positive: true }), /^a duration above zero:/)
})

t.test("durations: too large for a number is left to the caller's range check", async (t) => {
  t.equal(durationMs(`${'9'.repeat(400)}s`), Infinity)
})

t.test('durations are written back in the largest exact unit up to hours', async (t) => {
  for (const [ms, text] of [
    [0, '0s'],
    [500, '500ms'],
    [1500, '1500ms'],
    [30_000, '30s'],
    [300_000, '5m'],
    [5_400_000, '90m'],
    [7_200_000, '2h'],
    [86_400_000, '24h'],
    [1_209_600_000, '336h'],
  ] as const) {
    t.equal(formatDurationMs(ms), text)
    t.equal(durationMs(text), ms, `${text} reads back`)
  }
})

t.test('byte sizes: bare bytes, decimal and binary units', async (t) => {
  const cases: Array<[string, number]> = [
    ['4096', 4096],
    ['1B', 1],
    ['2KB', 2000],
    ['500MB', 500_000_000],
    ['2GB', 2e9],
    ['1TB', 1e12],
    ['1KiB', 1024],
    ['16MiB', 16 * 1024 ** 2],
    ['2GiB', 2 * 1024 ** 3],
    ['1TiB', 1024 ** 4],
    ['16mib', 16 * 1024 ** 2],
    [' 500 kb ', 500_000],
    ['1.5KiB', 1536],
    ['0.5KB', 500],
  ]
  for (const [text, bytes] of cases) {
    const result = parseByteSize(text)
    t.same(result, { ok: true, bytes }, text)
  }
})

t.test('byte sizes: what is not one', async (t) => {
  for (const text of ['', '2 lots', 'MiB', '-1KB', '0', '0.5', '1e3', '1 MiB extra', '1PiB', `${'9'.repeat(30)}TB`]) {
    const result = parseByteSize(text)
    t.notOk(result.ok, JSON.stringify(text))
    if (!result.ok) t.match(result.problem, /^expected a size: a number of bytes, or with a unit B, KB, MB, GB, TB \(powers of 1000\) or KiB, MiB, GiB, TiB/)
  }
  const small = parseByteSize('512', { minBytes: 1024 })
  t.notOk(small.ok)
  if (!small.ok) t.match(small.problem, /^expected a size of at least 1KiB:/)
})

t.test('byte sizes are written back in the largest exact binary unit', async (t) => {
  for (const [bytes, text] of [
    [1000, '1000B'],
    [1024, '1KiB'],
    [16 * 1024 ** 2, '16MiB'],
    [3 * 1024 ** 3, '3GiB'],
  ] as const) {
    t.equal(formatBytes(bytes), text)
    t.same(parseByteSize(text), { ok: true, bytes }, `${text} reads back`)
  }
})
