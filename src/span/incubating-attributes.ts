/**
 * The attribute names tracecar uses that OpenTelemetry's semantic conventions
 * still call incubating, copied here as the package itself advises
 * (@opentelemetry/semantic-conventions README: "copy the relevant
 * definitions into your code" rather than import `/incubating`).
 *
 * Why not import them: the `/incubating` entry is every experimental
 * attribute and value of every domain, and loading it costs the sidecar
 * ~3.5 MiB of heap and ~5.5 MiB of RSS at start-up (bench/startup-memory.js)
 * for these six strings. As in `stable-attributes.ts`, each constant is
 * typed as the package's own (a type-only import, gone at run time), so a
 * copy that differs does not compile, and test/span/copied-attributes.test.ts
 * checks the values as well.
 */
import type * as incubating from '@opentelemetry/semantic-conventions/incubating'

export const ATTR_HTTP_REQUEST_BODY_SIZE: typeof incubating.ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size'
export const ATTR_HTTP_RESPONSE_BODY_SIZE: typeof incubating.ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size'
export const ATTR_HOST_NAME: typeof incubating.ATTR_HOST_NAME = 'host.name'
export const ATTR_PROCESS_PID: typeof incubating.ATTR_PROCESS_PID = 'process.pid'
export const ATTR_PROCESS_RUNTIME_NAME: typeof incubating.ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name'
export const ATTR_PROCESS_RUNTIME_VERSION: typeof incubating.ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version'
