/** Where manifests come from: files, the YAML/JSON files of a directory (like `kubectl -f dir`), or stdin (`-f -` or no -f). */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface ManifestSource {
  name: string
  text: string
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i

export async function readManifestSources(filenames: readonly string[], stdin: NodeJS.ReadableStream): Promise<ManifestSource[]> {
  const names = filenames.length === 0 ? ['-'] : filenames
  const out: ManifestSource[] = []
  for (const name of names) {
    if (name === '-') {
      out.push({ name: 'stdin', text: await readAll(stdin) })
      continue
    }
    let isDirectory: boolean
    try {
      isDirectory = statSync(name).isDirectory()
    } catch (error) {
      throw new Error(`cannot read ${name}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`)
    }
    if (isDirectory) {
      const files = readdirSync(name)
        .filter((f) => MANIFEST_FILE.test(f))
        .sort()
      for (const file of files) out.push({ name: join(name, file), text: readFileSync(join(name, file), 'utf8') })
    } else {
      out.push({ name, text: readFileSync(name, 'utf8') })
    }
  }
  return out
}

/** Streams written one after another as one YAML stream: a `---` between them where needed. */
export function joinStreams(texts: readonly string[]): string {
  let out = ''
  for (const text of texts) {
    if (out !== '') {
      if (!out.endsWith('\n')) out += '\n'
      if (!/^---/.test(text)) out += '---\n'
    }
    out += text
  }
  return out
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => (text += chunk))
    stream.on('end', () => resolve(text))
    stream.on('error', reject)
  })
}
