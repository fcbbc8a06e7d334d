/**
 * Backend entries of the config, upstream's `ZdbConnectionInfo` (spec zstor.md §1):
 * `{ address, namespace?, password? }`, in `[[meta.config.backends]]` and `[[groups.backends]]`.
 * @module
 */
import { backendLabel, readBackendAddress } from './backend-address.js'
import {
  asTable,
  checkFields,
  describe,
  field,
  readArray,
  readString,
  required,
  type Source,
  type Table,
  utf8Length,
} from './fields.js'
import type { FieldPath } from './locate.js'
import type { BackendConfig } from './schema.js'

/** Fields of a backend entry. */
export const BACKEND_FIELDS = Object.freeze(['address', 'namespace', 'password'])
/** Longest namespace name 0-db accepts (NSNEW, SELECT); it also refuses `/` in one. */
const MAX_NAMESPACE_BYTES = 128

function readBackend(src: Source, value: unknown, path: FieldPath): BackendConfig {
  const table = asTable(src, value, path)
  checkFields(src, table, path, BACKEND_FIELDS)
  const addressAt = [...path, 'address']
  required(src, table, path, 'address')
  const read = readBackendAddress(readString(src, table, path, 'address')!)
  if ('problem' in read)
    throw src.error('ERR_CONFIG_INVALID', addressAt, `${field(addressAt)} ${read.problem}`)
  const namespace = readString(src, table, path, 'namespace')
  if (namespace !== null && (utf8Length(namespace) > MAX_NAMESPACE_BYTES || namespace.includes('/'))) {
    const at = [...path, 'namespace']
    throw src.error(
      'ERR_CONFIG_INVALID',
      at,
      `${field(at)} must be 1..${MAX_NAMESPACE_BYTES} bytes without \`/\` (0-db's rule), got ${describe(namespace)}`,
    )
  }
  const password = readString(src, table, path, 'password', { secret: true })
  return { address: read.address, namespace, password, label: backendLabel(read.address, namespace) }
}

/** The `backends` array of `table`, each entry a backend; at least `min` of them. */
export function readBackends(src: Source, table: Table, path: FieldPath, min: number): BackendConfig[] {
  required(src, table, path, 'backends')
  const list = readArray(src, table, path, 'backends')!
  const at = [...path, 'backends']
  if (list.length < min) {
    throw src.error('ERR_CONFIG_INVALID', at, `${field(at)} must list at least ${min} backend, got none`)
  }
  return list.map((backend, i) => readBackend(src, backend, [...at, i]))
}
