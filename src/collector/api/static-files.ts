/**
 * Serves the UI bundle from a folder: the file a path names, or index.html
 * for any other path (client-side routes such as /trace/:id are deep links).
 * Never serves anything outside the folder.
 */
import { createReadStream, statSync } from 'node:fs'
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
 * page's own fetch (lib/api.ts), which is then answered from the preload.
 */
function preloadHeaders(pathname: string): Record<string, string> {
  const traceId = TRACE_PAGE.exec(pathname)?.[1]
  return traceId === undefined ? {} : { link: `</api/traces/${traceId}/compact>; rel=preload; as=fetch; crossorigin=anonymous` }
}

function fileSize(path: string): number | undefined {
  try {
    const stat = statSync(path)
    return stat.isFile() ? stat.size : undefined
  } catch {
    return undefined
  }
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
  let size = fileSize(file)
  // An asset URL that does not exist is a 404, not the app: a missing script must not load HTML.
  const looksLikeAsset = /\.[a-z0-9]{1,8}$/i.test(decoded) && !decoded.endsWith('.html')
  if (size === undefined && !looksLikeAsset) {
    file = join(root, 'index.html')
    size = fileSize(file)
  }
  if (size === undefined) {
    sendError(res, 404, `not found: ${pathname}`, 'text')
    return
  }
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream'
  // Hashed assets may be cached; index.html must be revalidated so a new build shows up.
  const cache = file.endsWith('index.html') ? 'no-cache' : 'public, max-age=300'
  const preload = file.endsWith('index.html') ? preloadHeaders(pathname) : {}
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': cache, ...preload })
  if (req.method === 'HEAD') {
    res.end()
    return
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res)
}
