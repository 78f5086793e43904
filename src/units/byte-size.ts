/**
 * Byte sizes written as text, the one grammar for the whole product (database size
 * limits, body limits): a number with an optional unit, decimal (KB, MB, GB, TB: powers
 * of 1000) or binary (KiB, MiB, GiB, TiB: powers of 1024), case-insensitive, a space
 * allowed before the unit. A bare number is bytes.
 *
 * Pure: no Node module, no DOM, no import, so the UI bundle could take it as it is.
 */

export const BYTE_UNITS = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
} as const satisfies Record<string, number>

export interface ByteSizeRules {
  /** Smallest size allowed, inclusive (default 1: a size is above nothing). */
  readonly minBytes?: number
}

export type ByteSizeResult = { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly problem: string }

const SIZE = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$/i

/** The sentence after "expected", also what `--help` and errors print. */
export function byteSizeExpected(rules: ByteSizeRules = {}): string {
  const min = rules.minBytes ?? 1
  const floor = min > 1 ? ` of at least ${formatBytes(min)}` : ''
  return `a size${floor}: a number of bytes, or with a unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024) (e.g. 16MiB, 2GB)`
}

/** Whole bytes (rounded down) from `text`, or what is wrong with it (a sentence starting with "expected"). */
export function parseByteSize(text: string, rules: ByteSizeRules = {}): ByteSizeResult {
  const m = SIZE.exec(text)
  const unit = m === null ? undefined : BYTE_UNITS[(m[2] || 'b').toLowerCase() as keyof typeof BYTE_UNITS]
  const bytes = m === null || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit)
  if (!Number.isSafeInteger(bytes) || bytes < (rules.minBytes ?? 1)) return { ok: false, problem: `expected ${byteSizeExpected(rules)}` }
  return { ok: true, bytes }
}

/** The shortest exact way to write `bytes` with a binary unit: `16MiB`, `3KiB`, `1000B`. */
export function formatBytes(bytes: number): string {
  for (const unit of ['TiB', 'GiB', 'MiB', 'KiB'] as const) {
    const size = BYTE_UNITS[unit.toLowerCase() as keyof typeof BYTE_UNITS]
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`
  }
  return `${bytes}B`
}
