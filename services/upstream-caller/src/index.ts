export { createUpstreamCaller, type UpstreamCallerDeps, type UpstreamCallerService } from './service.js';
