// Builds the web UI: typechecks src/ui with its own tsconfig (browser libs), bundles it with
// esbuild into dist/ui, and copies the static files. Everything the UI needs at run time ends up
// in dist/ui: the collector serves that folder, there is no CDN.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as esbuild from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const srcDir = join(root, 'src', 'ui')
const outDir = join(root, 'dist', 'ui')
const require = createRequire(import.meta.url)
const check = !process.argv.includes('--no-check')

if (check) {
  const tsc = require.resolve('typescript/bin/tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', join(srcDir, 'tsconfig.json')], { stdio: 'inherit' })
  } catch {
    console.error('build-ui: src/ui does not typecheck (errors above); dist/ui was not written')
    process.exit(1)
  }
}

rmSync(outDir, { recursive: true, force: true })
mkdirSync(join(outDir, 'assets'), { recursive: true })

const result = await esbuild.build({
  entryPoints: [join(srcDir, 'main.tsx')],
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: join(outDir, 'assets', 'app.js'),
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
})

copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(outDir, 'assets', 'uplot.css'))
copyFileSync(join(srcDir, 'styles.css'), join(outDir, 'assets', 'app.css'))
// The HTML is served for every client-side route (/trace/..., /search?...), so every asset path in
// it is absolute.
writeFileSync(join(outDir, 'index.html'), readFileSync(join(srcDir, 'index.html')))

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`build-ui: dist/ui written (${(bytes / 1024).toFixed(0)} KiB of scripts)`)
