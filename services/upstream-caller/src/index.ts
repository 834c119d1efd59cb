export { createUpstreamCaller, type UpstreamCallerDeps, type UpstreamCallerService } from './service.js';
export { CompletedEventsPublisher, type CompletedEventsOptions } from './completed-events.js';
