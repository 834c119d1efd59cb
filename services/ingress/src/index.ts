export { createIngress, type IngressDeps, type IngressService } from './service.js';
export { buildIngressApp } from './app.js';
