/** The replica's storage layer (docs/storage.md): one interface, a SQLite and a memory implementation. */
export type {
  BatchOp,
  BatchOptions,
  IndexEntry,
  OperatorSecret,
  ScanOptions,
  Storage,
  StorageHooks,
  StoredBlock,
  StoredSnapshot,
} from './types.js';
export type { StoreOptions } from './store.js';
export { MemoryDisk, MemoryStorage, type MemoryStorageOptions } from './memory.js';
export {
  MIGRATIONS,
  OMEGA_APPLICATION_ID,
  SCHEMA_VERSION,
  SQLITE_CACHE_KIB_DEFAULT,
  SqliteStorage,
  applyMigrations,
  type Migration,
  type SqliteStorageOptions,
} from './sqlite.js';
export { OPERATOR_KEY_FILE_BYTES, readOperatorKeyFile, writeOperatorKeyFile } from './seal.js';
