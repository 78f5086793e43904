#!/usr/bin/env node
/** Process entry: `node dist/cli/tracecar.js <command> ...` (bin/tracecar.js runs this). */
import { main } from './main.js'

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`tracecar: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
