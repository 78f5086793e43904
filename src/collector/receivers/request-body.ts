/**
 * Reads an HTTP request body with a size limit, and undoes its
 * Content-Encoding (gzip, deflate) with the same limit on the inflated size,
 * so a small zip bomb cannot become a large allocation.
 */
import type { IncomingMessage } from 'node:http'
import { gunzip, inflate } from 'node:zlib'
import type { InputType, ZlibOptions } from 'node:zlib'
import { HttpError } from '../../http/http-answer.js'

/** A body that cannot be read: too large (413), not decodable (400), an unknown encoding (415). */
export class BodyError extends HttpError {
  constructor(
    override readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(status, message)
  }
}

/** Resolves with the raw bytes; rejects with BodyError(413) past `maxBytes`, or the socket's error. */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BodyError(413, `the request body is ${declared} bytes; the limit is ${maxBytes} bytes (--max-body-bytes)`))
      return
    }
    const chunks: Buffer[] = []
    let length = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      length += chunk.length
      if (length > maxBytes) {
        done = true
        chunks.length = 0
        reject(new BodyError(413, `the request body exceeds the limit of ${maxBytes} bytes (--max-body-bytes)`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (done) return
      done = true
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length))
    })
    req.on('error', (err) => {
      if (done) return
      done = true
      reject(err)
    })
    req.on('aborted', () => {
      if (done) return
      done = true
      reject(new BodyError(400, 'the client closed the connection before the body was complete'))
    })
  })
}

function inflateWith(
  fn: (buf: InputType, options: ZlibOptions, cb: (err: Error | null, result: Buffer) => void) => void,
  body: Buffer,
  maxBytes: number,
  name: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fn(body, { maxOutputLength: maxBytes }, (err, result) => {
      if (err === null) {
        resolve(result)
        return
      }
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(new BodyError(413, `the ${name}-decompressed request body exceeds the limit of ${maxBytes} bytes (--max-body-bytes)`))
      } else {
        reject(new BodyError(400, `the request body is not valid ${name} data: ${err.message}`))
      }
    })
  })
}

/** Undoes Content-Encoding; 415 for an encoding we do not speak. */
export async function decodeContentEncoding(body: Buffer, encodingHeader: string | undefined, maxBytes: number): Promise<Buffer> {
  const encoding = (encodingHeader ?? '').trim().toLowerCase()
  if (encoding === '' || encoding === 'identity') return body
  if (encoding === 'gzip' || encoding === 'x-gzip') return inflateWith(gunzip, body, maxBytes, 'gzip')
  if (encoding === 'deflate') return inflateWith(inflate, body, maxBytes, 'deflate')
  throw new BodyError(415, `Content-Encoding '${encoding}' is not supported; use gzip, deflate or none`)
}
