/**
 * Serves the UI bundle from a folder: the file a path names, or index.html
 * for any other path (client-side routes such as /trace/:id are deep links).
 * Never serves anything outside the folder.
 */
import { readFileSync, statSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { sendError, sendText } from '../../http/http-answer.js'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/** A trace page's path: /trace/<trace id>, the route whose first request the page preloads. */
const TRACE_PAGE = /^\/trace\/([0-9a-fA-F]{32})$/

/**
 * For a trace page, a Link header that has the browser fetch the compact trace while it loads
 * the bundle, instead of after the bundle has run: the same URL, mode and credentials as the
 * page's own fetch (lib/api.ts), which is then answered from the preload. The page's own
 * script and style sheets (as its index.html names them) are listed before it, so that the
 * browser asks for them first: building a big trace's answer holds the collector's thread,
 * and an asset asked for after it waited that long (a 10,000-span trace: 130-270 ms).
 */
function preloadHeaders(pathname: string, indexHtml: File): Record<string, string> {
  const traceId = TRACE_PAGE.exec(pathname)?.[1]
  if (traceId === undefined) return {}
  return { link: [...indexHtml.assetPreloads, `</api/traces/${traceId}/compact>; rel=preload; as=fetch; crossorigin=anonymous`].join(', ') }
}

interface File {
  body: Buffer
  mtimeMs: number
  /** for index.html: Link preloads of the script and style sheets it names, in its order */
  assetPreloads: string[]
}

/**
 * The UI's files as last read (a few hundred KB). Each answer is written whole in one call
 * rather than streamed: a stream's next chunk waits for the event loop, which building a big
 * trace's compact answer holds for a while. Read again when a file's size or time changes (a
 * new build).
 */
const files = new Map<string, File>()

function readFile(path: string): File | undefined {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return undefined
  }
  if (!stat.isFile()) return undefined
  const kept = files.get(path)
  if (kept !== undefined && kept.mtimeMs === stat.mtimeMs && kept.body.length === stat.size) return kept
  let body: Buffer
  try {
    body = readFileSync(path)
  } catch {
    return undefined
  }
  const file: File = { body, mtimeMs: stat.mtimeMs, assetPreloads: path.endsWith('.html') ? assetPreloadsOf(body.toString('utf8')) : [] }
  files.set(path, file)
  return file
}

/** Link preloads of the module script and style sheets an HTML page names by absolute path. */
function assetPreloadsOf(html: string): string[] {
  const preloads: string[] = []
  for (const tag of html.match(/<(?:link|script)\b[^>]*>/g) ?? []) {
    const href = /\b(?:href|src)="(\/[^"]*)"/.exec(tag)?.[1]
    if (href === undefined) continue
    if (tag.startsWith('<script') && /\btype="module"/.test(tag)) preloads.push(`<${href}>; rel=modulepreload`)
    else if (/\brel="stylesheet"/.test(tag)) preloads.push(`<${href}>; rel=preload; as=style`)
  }
  return preloads
}

export function serveStatic(uiDir: string | undefined, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  if (uiDir === undefined) {
    sendText(res, pathname === '/' ? 200 : 404, 'tracecar collector: the UI is not built (npm run build). The query API is at /api (docs/api.md).\n')
    return
  }
  const root = resolve(uiDir)
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    decoded = '/'
  }
  let file = normalize(join(root, decoded))
  if (file !== root && !file.startsWith(root + sep)) file = join(root, 'index.html')
  let content = readFile(file)
  // An asset URL that does not exist is a 404, not the app: a missing script must not load HTML.
  const looksLikeAsset = /\.[a-z0-9]{1,8}$/i.test(decoded) && !decoded.endsWith('.html')
  if (content === undefined && !looksLikeAsset) {
    file = join(root, 'index.html')
    content = readFile(file)
  }
  if (content === undefined) {
    sendError(res, 404, `not found: ${pathname}`, 'text')
    return
  }
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
  // Hashed assets may be cached; index.html must be revalidated so a new build shows up.
  const cache = file.endsWith('index.html') ? 'no-cache' : 'public, max-age=300'
  const preload = file.endsWith('index.html') ? preloadHeaders(pathname, content) : {}
  res.writeHead(200, { 'content-type': type, 'content-length': content.body.length, 'cache-control': cache, ...preload })
  res.end(req.method === 'HEAD' ? undefined : content.body)
}
