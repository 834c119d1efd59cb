import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveModel, type GatewayConfig } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';
import { modelDenial } from '@switchyard/virtual-keys';
import { listModels, modelEntry } from './models.js';
import type { Authenticated } from './virtual-keys/authenticate.js';

/**
 * `GET /v1/models` and `GET /v1/models/{id}` (and the same without `/v1`).
 * Model ids often hold a `/` (`openai/gpt-4o`, `meta-llama/Llama-3-8B`):
 * curl and older openai-python send it raw, newer SDKs percent-encode it, so
 * the id is the whole rest of the path (a wildcard route, which the router
 * decodes), never one path segment. A virtual key sees only the models it
 * may call (its own list and its team's), as LiteLLM lists them.
 */
export function registerModelRoutes(app: FastifyInstance, config: GatewayConfig, created: number): void {
  const models = listModels(config, created);
  const byId = new Map(models.map((model) => [model.id, model]));
  const mayCall = (request: FastifyRequest, id: string): boolean => {
    const auth = request.auth as Authenticated | null | undefined;
    return !auth?.key || modelDenial(config, id, auth.key.models, auth.team?.models ?? null) === null;
  };
  for (const prefix of ['/v1', '']) {
    app.get(`${prefix}/models`, async (request) => ({ object: 'list', data: models.filter((model) => mayCall(request, model.id)) }));
    app.get<{ Params: { '*': string } }>(`${prefix}/models/*`, async (request) => {
      const id = request.params['*'];
      if (!mayCall(request, id)) throw Errors.modelNotFound(id);
      const model = byId.get(id);
      if (model) return model;
      // Hidden entries and names a wildcard route serves are not listed but are still served.
      if (resolveModel(config, id)) return modelEntry(id, created);
      throw Errors.modelNotFound(id);
    });
  }
}
