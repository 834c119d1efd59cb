export { createIngress, ensureCellsBucket, type IngressDeps, type IngressService } from './service.js';
export { buildIngressApp } from './app.js';
export { AdaptiveRouting } from './adaptive/adaptive-routing.js';
export { CellCache } from './adaptive/cell-cache.js';
export { SessionOwners, SESSION_OWNER_TTL_SECONDS } from './adaptive/session-owners.js';
