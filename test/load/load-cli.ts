import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { spawnTracecar } from '../helpers/proxy-process.js'

/** `tracecar load ...` as a real child process: exit code and both outputs. */
export async function runLoadCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracecar(['load', ...args])
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, stdout, stderr }
}

const schema = JSON.parse(readFileSync(new URL('../../src/load/load-report.schema.json', import.meta.url), 'utf8')) as object

/** The shipped JSON schema of the report, compiled by ajv (strict mode). */
export const validateLoadReport = new Ajv({ allErrors: true, strict: true }).compile(schema)
