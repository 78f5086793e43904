// Builds the web UI: typechecks src/ui with its own tsconfig (browser libs), bundles it with
// esbuild into dist/ui, and copies the static files. Everything the UI needs at run time ends up
// in dist/ui: the collector serves that folder, there is no CDN.
//
// Skipped when nothing it reads has changed since the last build (`npm start` builds every time):
// dist/.ui-build-stamp.json holds a hash of the contents of every input (src/ui, src/trace-analysis,
// src/units and src/query-api which the UI imports, every file esbuild bundled, this script, package-lock.json). `--force`
// builds anyway; deleting dist/ does too.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'src', 'ui')
const outDir = join(root, 'dist', 'ui')
const stampFile = join(root, 'dist', '.ui-build-stamp.json')
const require = createRequire(import.meta.url)
const check = !process.argv.includes('--no-check')
const force = process.argv.includes('--force')

/** Inputs known before a build: the UI's own folder, the folders it imports across its boundary, the recipe. */
function knownInputs() {
  const files = []
  const walk = (dir) => {
    // A folder that is not there is no input (as a missing file counts as a content in fingerprint).
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.push(relative(root, path))
    }
  }
  walk(srcDir)
  walk(join(root, 'src', 'trace-analysis'))
  walk(join(root, 'src', 'units'))
  // Types only: esbuild drops them, so they are never among the bundled files, but the typecheck reads them.
  walk(join(root, 'src', 'query-api'))
  files.push('scripts/build-ui.js', 'package-lock.json', relative(root, require.resolve('uplot/dist/uPlot.min.css')))
  return files
}

/** One hash over the names and contents of `files` (a missing file counts as a content too). */
function fingerprint(files) {
  const hash = createHash('sha256')
  for (const file of [...new Set(files)].sort()) {
    hash.update(`${file}\0`)
    const path = join(root, file)
    hash.update(existsSync(path) ? readFileSync(path) : '\0missing\0')
  }
  return hash.digest('hex')
}

function upToDate() {
  if (force || !existsSync(join(outDir, 'index.html')) || !existsSync(stampFile)) return false
  let stamp
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'))
  } catch {
    return false
  }
  // A build without the typecheck does not stand in for one with it.
  if (check && stamp.checked !== true) return false
  // The known inputs are listed afresh, so a new file in src/ui counts as a change.
  return stamp.hash === fingerprint([...stamp.bundled, ...knownInputs()])
}

if (upToDate()) {
  console.log('build-ui: dist/ui is up to date (no input changed since the last build; --force rebuilds)')
  process.exit(0)
}
rmSync(stampFile, { force: true })

if (check) {
  const tsc = require.resolve('typescript/bin/tsc')
  try {
    // Incremental: after a change in src/ui only what it affects is checked again.
    execFileSync(process.execPath, [tsc, '-p', join(srcDir, 'tsconfig.json'), '--incremental', '--tsBuildInfoFile', join(root, 'dist', '.ui.tsbuildinfo')], {
      stdio: 'inherit',
    })
  } catch {
    console.error('build-ui: src/ui does not typecheck (errors above); dist/ui was not written')
    process.exit(1)
  }
}

rmSync(outDir, { recursive: true, force: true })
mkdirSync(join(outDir, 'assets'), { recursive: true })

const result = await esbuild.build({
  absWorkingDir: root,
  // app.js, and a chunk for each module the app imports on demand (uPlot: charts/uplot-chart.tsx).
  entryPoints: { app: join(srcDir, 'main.tsx') },
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(outDir, 'assets'),
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
})

copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(outDir, 'assets', 'uplot.css'))
copyFileSync(join(srcDir, 'styles.css'), join(outDir, 'assets', 'app.css'))
// The HTML is served for every client-side route (/trace/..., /search?...), so every asset path in
// it is absolute.
writeFileSync(join(outDir, 'index.html'), readFileSync(join(srcDir, 'index.html')))

// esbuild's input paths are relative to absWorkingDir (the repository); namespaced ones are not files.
const bundled = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':'))
writeFileSync(stampFile, JSON.stringify({ checked: check, bundled, hash: fingerprint([...bundled, ...knownInputs()]) }) + '\n')

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`build-ui: dist/ui written (${(bytes / 1024).toFixed(0)} KiB of scripts)`)
