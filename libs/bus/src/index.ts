export * from './connection.js';
export { coalesceWrites } from './write-coalescing.js';
export * from './codec.js';
export * from './reply-writer.js';
export * from './reply-inbox.js';
export * from './body-store.js';
export * from './streams.js';
export type { NatsConnection, Msg, JetStreamClient } from 'nats';
export * from './response-owners.js';
