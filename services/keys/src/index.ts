export { createKeysService, type KeysDeps, type KeysService } from './service.js';
