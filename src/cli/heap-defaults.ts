import v8 from 'node:v8'

/**
 * How far V8 lets the old generation grow past what survived the last full GC
 * before the next one: 1.3x for the sidecar, the factor V8 itself uses for a heap
 * capped at 256 MiB or less (without the cap). On a machine with gigabytes of
 * memory V8 allows up to 4x, and under load the proxy's old generation (request
 * state promoted while in flight, garbage soon after) grew to 45 MiB and more
 * between mark-compacts. Measured peak RSS, 30 s at 50 connections: 128 MiB
 * instead of 197 with the image's 2 MiB semi-spaces, 163 instead of 211 with
 * Node's default ones, for no measured CPU per request.
 *
 * Unlike the young generation's size (`--max-semi-space-size`, fixed when the
 * heap is created, so only a node option sets it: see the Dockerfile), this flag
 * is read at every full GC and can be set from inside, so `tracecar proxy` gets
 * it however it is started.
 */
export const PROXY_HEAP_GROWING_PERCENT = 30

/**
 * Options by which the user takes heap growth in hand: the factor itself (a node
 * command-line option only: NODE_OPTIONS does not accept it), or a heap size
 * (`--max-old-space-size` is accepted in NODE_OPTIONS; V8 then derives the factor
 * from it, 1.3x at 256 MiB or less).
 */
const HEAP_GROWTH_OPTION = /(?:^|\s)--(?:heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size)\b/

/** Whether the node command line or NODE_OPTIONS already decides how the old generation grows. */
export function heapGrowthSetByUser(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return execArgv.some((arg) => HEAP_GROWTH_OPTION.test(arg)) || HEAP_GROWTH_OPTION.test(nodeOptions ?? '')
}

/**
 * Sets the sidecar's heap growing factor, before the proxy's modules load,
 * unless the user decided (`node --heap-growing-percent=N`, 0 for V8's own
 * heuristics; or a `--max-old-space-size` on the command line or in NODE_OPTIONS).
 * Returns the flag set, or undefined.
 */
export function applyProxyHeapDefaults(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (heapGrowthSetByUser(execArgv, env.NODE_OPTIONS)) return undefined
  const flag = `--heap-growing-percent=${PROXY_HEAP_GROWING_PERCENT}`
  v8.setFlagsFromString(flag)
  return flag
}
