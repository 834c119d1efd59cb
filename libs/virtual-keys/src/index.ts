export { durationMs } from './duration.js';
export { newVirtualKey, hashKey, keyNameOf, customKeyProblem, keyHashOf } from './key-format.js';
export { modelDenial, allowedModels, keyModelsOf, ALL_TEAM_MODELS, type ModelDenial } from './model-access.js';
export { callerOf, keyScope, teamScope } from './caller.js';
export { requestTagsOf } from './request-tags.js';
