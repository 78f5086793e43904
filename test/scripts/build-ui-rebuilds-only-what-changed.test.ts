import { execFileSync } from 'node:child_process'
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// `npm start` builds every time; the UI bundle must be rebuilt when something it is
// made of changed, and only then. Runs scripts/build-ui.js in a copy of what it reads
// (--no-check: the typecheck is TypeScript's business and the slow part).
const root = fileURLToPath(new URL('../../', import.meta.url))

function copyOfTheUiInputs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tracecar-build-ui-'))
  for (const path of ['scripts/build-ui.js', 'src/ui', 'src/trace-analysis', 'src/units', 'src/query-api', 'package-lock.json'])
    cpSync(join(root, path), join(dir, path), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return dir
}

function buildUi(dir: string, ...flags: string[]): string {
  return execFileSync(process.execPath, [join(dir, 'scripts', 'build-ui.js'), '--no-check', ...flags], { cwd: dir, encoding: 'utf8' })
}

t.test('the UI bundle is rebuilt when an input changed, and left alone when none did', async (t) => {
  const dir = copyOfTheUiInputs()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const bundle = join(dir, 'dist', 'ui', 'assets', 'app.js')
  const css = join(dir, 'dist', 'ui', 'assets', 'app.css')

  t.match(buildUi(dir), /dist\/ui written/, 'a first build writes dist/ui')
  const first = statSync(bundle)
  t.match(buildUi(dir), /dist\/ui is up to date/, 'nothing changed: skipped')
  t.equal(statSync(bundle).mtimeMs, first.mtimeMs, 'the bundle was not rewritten')

  appendFileSync(join(dir, 'src', 'ui', 'styles.css'), '\n.build-test-marker { color: red }\n')
  t.match(buildUi(dir), /dist\/ui written/, 'a changed file in src/ui: rebuilt')
  t.match(readFileSync(css, 'utf8'), /build-test-marker/)

  appendFileSync(join(dir, 'src', 'trace-analysis', 'self-time.ts'), '\n// changed\n')
  t.match(buildUi(dir), /dist\/ui written/, 'a change in src/trace-analysis, which the UI imports: rebuilt')
  writeFileSync(join(dir, 'src', 'ui', 'build-test-marker.ts'), 'export {}\n')
  t.match(buildUi(dir), /dist\/ui written/, 'a new file in src/ui: rebuilt')
  t.match(buildUi(dir), /dist\/ui is up to date/)

  rmSync(join(dir, 'dist', 'ui'), { recursive: true })
  t.match(buildUi(dir), /dist\/ui written/, 'a deleted dist/ui is built again')
  t.match(buildUi(dir, '--force'), /dist\/ui written/, '--force builds anyway')
})
