// One colour per service, the same on every page of a session: services get palette colours in
// order (first the collector's sorted service list, loaded before the first render, then any new
// service as it is first seen), so up to 16 services never share a colour, unlike with a hash.
const PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#d4a72c', '#9c755f', '#6f4e7c',
  '#5b8ff9', '#ff9da7', '#8cd17d', '#d4a6c8', '#499894', '#c9a227', '#86bcb6', '#a0cbe8',
]

const assigned = new Map<string, string>()

export function registerServices(services: readonly string[]): void {
  for (const s of services) serviceColor(s)
}

export function serviceColor(service: string): string {
  let color = assigned.get(service)
  if (color === undefined) {
    color = PALETTE[assigned.size % PALETTE.length]!
    assigned.set(service, color)
  }
  return color
}
