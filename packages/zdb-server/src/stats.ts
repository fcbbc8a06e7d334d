/**
 * Counters printed by INFO (`# stats`, spec zdb.md §1), shared by every namespace and connection
 * of one server.
 * @module
 */
export interface ServerStats {
  bootTime: number
  clientsLifetime: number
  commandsExecuted: number
  commandsFailed: number
  commandsUnauthorized: number
  indexReadFailed: number
  indexWriteFailed: number
  dataReadFailed: number
  dataWriteFailed: number
  indexReadBytes: number
  indexWriteBytes: number
  dataReadBytes: number
  dataWriteBytes: number
  networkRxBytes: number
  networkTxBytes: number
}

export function createStats(bootTime: number): ServerStats {
  return {
    bootTime,
    clientsLifetime: 0,
    commandsExecuted: 0,
    commandsFailed: 0,
    commandsUnauthorized: 0,
    indexReadFailed: 0,
    indexWriteFailed: 0,
    dataReadFailed: 0,
    dataWriteFailed: 0,
    indexReadBytes: 0,
    indexWriteBytes: 0,
    dataReadBytes: 0,
    dataWriteBytes: 0,
    networkRxBytes: 0,
    networkTxBytes: 0,
  }
}
