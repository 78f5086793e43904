import { execFileSync } from 'node:child_process'

/** Whether the `openssl` command is there (Debian package openssl, installed by .ci/run) to make test certificates. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Writes a self-signed certificate valid for a day, and its key (P-256 unless `rsa`), as PEM files. */
export function makeSelfSignedCert(options: { keyPath: string; certPath: string; commonName: string; subjectAltName: string; rsa?: boolean }): void {
  const key = options.rsa === true ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...key,
      '-nodes',
      '-days',
      '1',
      '-keyout',
      options.keyPath,
      '-out',
      options.certPath,
      '-subj',
      `/CN=${options.commonName}`,
      '-addext',
      `subjectAltName=${options.subjectAltName}`,
    ],
    { stdio: 'ignore' },
  )
}
