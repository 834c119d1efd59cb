export * from './schema.js';
export * from './connection.js';
export { migrationProvider } from './migrations.js';
export { sql, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
