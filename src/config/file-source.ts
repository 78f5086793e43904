/**
 * Reads the YAML config file. Its structure is ProxyConfig's own: camelCase keys, nested
 * mappings (`timeouts: { connectMs: 5000 }`). Any key the schema does not know is an
 * error, since it is almost always a typo that would otherwise be silently ignored.
 * `listen` and `admin` may also be written as a "host:port" string.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Node, YAMLMap } from 'yaml'
import { ConfigError, badValue, showValue } from './config-error.js'
import { PROXY_SCHEMA, type CommandSchema } from './command-schema.js'
import { splitHostPort, type SourcedValue } from './sourced-value.js'

/**
 * The YAML parser, loaded on the first config file read: most sidecars are
 * configured by flags and environment alone and never pay for it (about 1.5 MiB
 * of RSS at start-up, more when it is the first package loaded). A synchronous
 * require keeps loadProxyConfig synchronous; yaml's `node` export is CommonJS.
 */
let yamlModule: typeof import('yaml') | undefined
function yaml(): typeof import('yaml') {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return yamlModule
}

/** `absolutePath` is read; `shownPath` is how the user wrote it, used in messages. */
export function readConfigFile(absolutePath: string, shownPath: string, schema: CommandSchema = PROXY_SCHEMA): Map<string, SourcedValue> {
  let text: string
  try {
    text = readFileSync(absolutePath, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(error)})`
    throw new ConfigError(
      `config file ${shownPath} ${reason} (resolved to ${absolutePath}; given with --${schema.configFile.flag} or ${schema.configFile.env})`,
      undefined,
      `file ${shownPath}`,
    )
  }

  const { LineCounter, isMap, isScalar, parseDocument } = yaml()
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  const firstError = doc.errors[0]
  if (firstError) {
    const position = firstError.linePos?.[0]
    const where = position ? `${shownPath}:${position.line}:${position.col}` : shownPath
    const reason = firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')
    throw new ConfigError(`config file ${where} is not valid YAML: ${reason}`, undefined, `file ${where}`)
  }

  const origin = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0]
    return offset === undefined ? `file ${shownPath}` : `file ${shownPath}:${lineCounter.linePos(offset).line}`
  }
  const values = new Map<string, SourcedValue>()
  const root = doc.contents
  if (root === null || (isScalar(root) && root.value === null)) return values // an empty file sets nothing
  if (!isMap(root))
    throw new ConfigError(`config file ${shownPath} must be a mapping of keys (tracecar ${schema.command} --help lists them)`, undefined, origin(root))

  const keyPaths = new Set<string>(schema.keys.map((key) => key.path))
  const visit = (map: YAMLMap, prefix: string): void => {
    for (const pair of map.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
      const path = prefix + name
      const valueNode = pair.value as Node | null
      const where = origin((pair.key as Node | null) ?? valueNode)
      if (keyPaths.has(path)) {
        const value: unknown = valueNode ? valueNode.toJS(doc) : null
        values.set(path, { input: value, given: value, origin: where, validateWhenShadowed: true })
        continue
      }
      const children = [...keyPaths].filter((candidate) => candidate.startsWith(`${path}.`))
      if (children.length === 0) {
        const siblings = [
          ...new Set([...keyPaths].filter((candidate) => candidate.startsWith(prefix)).map((candidate) => candidate.slice(prefix.length).split('.')[0])),
        ]
        throw new ConfigError(
          `unknown key ${JSON.stringify(path)} in ${where.slice('file '.length)} (allowed${prefix ? ` under ${prefix.slice(0, -1)}` : ''}: ${siblings.join(', ')})`,
          path,
          where,
        )
      }
      if (isMap(valueNode)) {
        visit(valueNode, `${path}.`)
        continue
      }
      const shorthand = schema.shorthands.find((candidate) => candidate.name === path)
      const scalar = isScalar(valueNode) ? valueNode.value : undefined
      if (shorthand && typeof scalar === 'string') {
        const parts = splitHostPort(scalar)
        if (!parts) throw badValue(path, showValue(scalar), where, 'expected host:port (e.g. 0.0.0.0:15006) or a mapping with host and port')
        values.set(shorthand.hostPath, { input: parts.host, given: scalar, origin: where, validateWhenShadowed: true })
        values.set(shorthand.portPath, { input: parts.port, given: scalar, origin: where, validateWhenShadowed: true })
        continue
      }
      const given: unknown = valueNode ? valueNode.toJS(doc) : null
      const names = children.map((child) => child.slice(path.length + 1).split('.')[0])
      throw badValue(path, showValue(given), where, `expected a mapping with keys ${[...new Set(names)].join(', ')}`)
    }
  }
  visit(root, '')
  return values
}
