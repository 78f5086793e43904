import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CONFIG_KEYS, isHelpRequested, loadProxyConfig, proxyHelpText, tracecarEnvName } from '../../src/config/index.js'
import { EXAMPLE_OVERRIDES, configReferenceMarkdown, exampleConfigYaml } from '../../src/config/config-reference.js'
import { readConfigFile } from '../../src/config/file-source.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const regenerate = "regenerate with: npx tsx -e \"import('./src/config/config-reference.ts').then((m) => m.writeConfigDocs('.'))\""

t.test('--help lists every key with its flag, its env names and its default, one line each', async (t) => {
  const lines = proxyHelpText().split('\n')
  for (const key of CONFIG_KEYS) {
    const line = lines.find((candidate) => candidate.includes(` ${key.path}: `))
    if (!line) {
      t.fail(`no help line for ${key.path}`)
      continue
    }
    t.match(line, `--${key.flag}`.replace('--', key.type.flagShape === 'boolean' ? '--[no-]' : '--'), `${key.path}: flag`)
    t.match(line, tracecarEnvName(key.path), `${key.path}: TRACECAR env`)
    for (const reader of key.otelEnv ?? []) t.match(line, reader.name, `${key.path}: ${reader.name}`)
    t.match(line, 'Default: ', `${key.path}: default`)
  }
  const text = proxyHelpText()
  for (const extra of ['--config <file>', '--listen <host:port>', '--admin <host:port>', '--help', 'TRACECAR_CONFIG']) t.match(text, extra)
  t.match(text, 'parentbased_traceidratio', 'the sampler names are listed')
})

t.test('isHelpRequested', async (t) => {
  t.equal(isHelpRequested(['--upstream', 'http://x:1', '--help']), true)
  t.equal(isHelpRequested(['-h']), true)
  t.equal(isHelpRequested(['--upstream', 'http://x:1']), false)
  t.equal(isHelpRequested(['--', '--help']), false)
})

t.test('the README key table is the one generated from the schema', async (t) => {
  const readme = readFileSync(`${root}src/config/README.md`, 'utf8')
  t.ok(readme.includes(configReferenceMarkdown()), `src/config/README.md table is stale; ${regenerate}`)
  for (const key of CONFIG_KEYS) t.ok(readme.includes(`| \`${key.path}\` |`), `README mentions ${key.path}`)
})

t.test('config/tracecar.yaml is current, sets every key, and equals the defaults except where it says', async (t) => {
  const path = `${root}config/tracecar.yaml`
  t.equal(readFileSync(path, 'utf8'), exampleConfigYaml(), `config/tracecar.yaml is stale; ${regenerate}`)
  const inFile = readConfigFile(path, 'config/tracecar.yaml')
  const setKeys = CONFIG_KEYS.filter((key) => !key.deriveDefault).map((key) => key.path)
  t.same([...inFile.keys()].sort(), setKeys.sort(), 'every key with a constant default is set in the example')
  for (const key of CONFIG_KEYS.filter((candidate) => candidate.deriveDefault)) {
    t.match(readFileSync(path, 'utf8'), `  # ${key.path.split('.').at(-1)}: `, `${key.path} appears, commented out so its derived default works`)
  }

  const fromExample = loadProxyConfig({ argv: ['--config', path], env: {} }) as unknown as Record<string, unknown>
  const fromDefaults = loadProxyConfig({ argv: ['--upstream', 'http://127.0.0.1:8080'], env: {} }) as unknown as Record<string, unknown>
  for (const [path, { value }] of Object.entries(EXAMPLE_OVERRIDES)) {
    t.same(fromExample[path], value, `${path} is what the example says`)
    delete fromExample[path]
    delete fromDefaults[path]
  }
  t.strictSame(fromExample, fromDefaults, 'everything else is the default')
})
