import type { Server } from 'node:net'
import type { AddressInfo } from 'node:net'

/**
 * Starts `server` listening and resolves with its address, or rejects with
 * the listen error (EADDRINUSE, EACCES) instead of leaving it to crash the
 * process as an unhandled 'error' event.
 */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}
