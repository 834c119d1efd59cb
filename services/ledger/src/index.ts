export { createLedger, type LedgerDeps, type LedgerService } from './service.js';
export { applySpendBatch, spendScopesOf } from './spend-batch.js';
