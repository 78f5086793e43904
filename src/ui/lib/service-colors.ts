// A stable colour per service name: the same service has the same colour on every page.
const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948',
  '#9c755f', '#5b8ff9', '#ff9da7', '#8cd17d', '#d4a6c8', '#86bcb6',
]

export function serviceColor(service: string): string {
  let h = 2166136261
  for (let i = 0; i < service.length; i++) {
    h ^= service.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return PALETTE[(h >>> 0) % PALETTE.length]!
}
