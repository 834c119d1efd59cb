export { createLearner, type LearnerDeps, type LearnerService } from './service.js';
export { applyUsageBatch } from './usage-batch.js';
export { applyTurnBatch, type TurnBatchResult } from './turn-batch.js';
export { expireSessions } from './sessions.js';
export { loadLearnerEnv, type LearnerEnv } from './env.js';
