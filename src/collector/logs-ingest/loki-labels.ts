/**
 * Parses a Loki stream selector as sent in the protobuf push
 * (`{app="cart", level="info"}`), Prometheus label syntax with Go string
 * escapes. Throws an Error saying where the text stopped making sense.
 */
export function parseLokiLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {}
  const s = text.trim()
  if (s === '' || s === '{}') return labels
  if (s[0] !== '{' || s[s.length - 1] !== '}') throw new Error(`stream labels ${JSON.stringify(text)} must look like {name="value", ...}`)
  let i = 1
  const end = s.length - 1
  while (i < end) {
    while (i < end && (s[i] === ' ' || s[i] === ',')) i++
    if (i >= end) break
    const nameStart = i
    while (i < end && /[A-Za-z0-9_.:]/.test(s[i]!)) i++
    const name = s.slice(nameStart, i)
    while (i < end && s[i] === ' ') i++
    if (name === '' || s[i] !== '=' || s[i + 1] !== '"') {
      throw new Error(`stream labels ${JSON.stringify(text)}: expected name="value" at character ${i}`)
    }
    i += 2
    let value = ''
    for (;;) {
      if (i >= end) throw new Error(`stream labels ${JSON.stringify(text)}: unterminated value of '${name}'`)
      const c = s[i]!
      if (c === '"') break
      if (c === '\\') {
        const next = s[i + 1]
        value += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '')
        i += 2
      } else {
        value += c
        i++
      }
    }
    i++
    labels[name] = value
  }
  return labels
}
