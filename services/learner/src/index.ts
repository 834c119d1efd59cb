export { createLearner, type LearnerDeps, type LearnerService } from './service.js';
export { applyUsageBatch } from './usage-batch.js';
