export * from './schema.js';
export * from './connection.js';
export { migrationProvider } from './migrations.js';
export { sql, type Kysely, type Transaction } from 'kysely';
