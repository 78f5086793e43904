// How much of what survives a scavenge V8 promotes, for a proxy-like pattern:
// each "request" leaves ~11 KB of garbage and holds ~3 KB until 50 later
// requests have been made (50 in flight), with a turn of the event loop every
// 20 requests (so scavenges run as V8 tasks, as in the sidecar). Nothing lives
// long, so a generational GC should promote almost nothing of it.
//
// Usage: node bench/young-generation-promotion.js [--node <binary>] [--semi-space-mb 2]
// Runs the pattern in a child (`--trace-gc-nvp --max-semi-space-size=N`) and
// prints one JSON line: scavenges, mark-compacts, and per scavenge the mean
// bytes allocated, survived and promoted.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const REQUESTS = 600_000

if (process.argv[2] === '--child') {
  const inflight = new Array(50)
  let sink = 0
  let r = 0
  const batch = () => {
    for (let k = 0; k < 20 && r < REQUESTS; k++, r++) {
      const held = []
      for (let i = 0; i < 30; i++) held.push({ a: 'req' + r + '-' + i, b: [r, i, r + i], c: { d: i } })
      for (let i = 0; i < 80; i++) {
        const garbage = { x: 'g' + i + r, y: [i, r] }
        sink += garbage.y.length
      }
      inflight[r % 50] = held
    }
    if (r < REQUESTS) setImmediate(batch)
    else if (sink === 0) console.error('unreachable')
  }
  batch()
} else {
  const { values } = parseArgs({ options: { node: { type: 'string', default: process.execPath }, 'semi-space-mb': { type: 'string', default: '2' } } })
  const child = spawnSync(values.node, ['--trace-gc-nvp', `--max-semi-space-size=${values['semi-space-mb']}`, fileURLToPath(import.meta.url), '--child'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (child.status !== 0) throw new Error(`${values.node} exited ${child.status}: ${child.stderr}`)
  let scavenges = 0
  let markCompacts = 0
  const sum = { allocated: 0, survived: 0, promoted: 0 }
  for (const line of child.stdout.split('\n')) {
    const field = (name) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line)?.[1] ?? 0)
    if (/\bgc=s\b/.test(line)) {
      scavenges++
      sum.allocated += field('allocated')
      sum.survived += field('new_space_survived')
      sum.promoted += field('promoted')
    } else if (/\bgc=(mc|mmc|ms)\b/.test(line)) markCompacts++
  }
  const version = spawnSync(values.node, ['--version'], { encoding: 'utf8' }).stdout.trim()
  const mean = (n) => Math.round(n / Math.max(1, scavenges))
  console.log(
    JSON.stringify({
      node: version,
      semiSpaceMb: Number(values['semi-space-mb']),
      scavenges,
      markCompacts,
      allocatedPerScavenge: mean(sum.allocated),
      survivedPerScavenge: mean(sum.survived),
      promotedPerScavenge: mean(sum.promoted),
      promotedOfSurvived: sum.survived === 0 ? 0 : Math.round((1000 * sum.promoted) / sum.survived) / 1000,
    }),
  )
}
