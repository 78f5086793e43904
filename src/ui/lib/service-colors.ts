// One colour per service, derived from a hash of its name: the same on every page, after a
// reload and in every browser, whatever order the services were seen in. Two services can share
// a colour (1 in 20 per pair); the name is always printed beside the colour, so that is a
// nuisance, not a misreading.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#b07aa1',
  '#76b7b2',
  '#d4a72c',
  '#9c755f',
  '#6f4e7c',
  '#5b8ff9',
  '#ff9da7',
  '#8cd17d',
  '#d4a6c8',
  '#499894',
  '#c9a227',
  '#86bcb6',
  '#a0cbe8',
  '#17becf',
  '#79706e',
  '#bab0ac',
  '#3a7d44',
]

/** FNV-1a over the UTF-16 code units: small, fast and spreads similar names ("api-1", "api-2") apart. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function serviceColor(service: string): string {
  return PALETTE[hash(service) % PALETTE.length]!
}
