import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@switchyard/config';
import { errorHandler } from './errors.js';
import { registerModelRoutes } from './models-routes.js';

const config = parseGatewayConfig(
  `model_list:
  - model_name: openai/gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-x
  - model_name: meta-llama/Llama-3-8B/instruct
    litellm_params:
      model: hosted_vllm/llama
      api_base: http://vllm:8000/v1
  - model_name: plain
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-x
`,
  { source: '<test>', env: {} },
);

function app() {
  const server = Fastify();
  server.setErrorHandler(errorHandler);
  registerModelRoutes(server, config, 1_700_000_000);
  return server;
}

describe('ingress: model routes', () => {
  it.each([
    ['/v1/models/openai/gpt-4o', 'openai/gpt-4o'],
    ['/v1/models/openai%2Fgpt-4o', 'openai/gpt-4o'],
    ['/v1/models/openai%2fgpt-4o', 'openai/gpt-4o'],
    ['/models/meta-llama/Llama-3-8B/instruct', 'meta-llama/Llama-3-8B/instruct'],
    ['/v1/models/meta-llama%2FLlama-3-8B%2Finstruct', 'meta-llama/Llama-3-8B/instruct'],
    ['/v1/models/plain', 'plain'],
  ])('GET %s finds %s, raw or percent-encoded', async (url, id) => {
    const response = await app().inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id, object: 'model', created: 1_700_000_000, owned_by: 'switchyard' });
  });

  it('an unknown id, with or without a slash, is a 404 naming it', async () => {
    for (const id of ['openai/gpt-5', 'nope']) {
      const response = await app().inject({ method: 'GET', url: `/v1/models/${id}` });
      expect(response.statusCode).toBe(404);
      expect(response.headers['x-should-retry']).toBe('false');
      expect(response.json().error).toMatchObject({ code: 'model_not_found', param: 'model' });
      expect(response.json().error.message).toContain(`"${id}"`);
    }
  });

  it('the list holds every id', async () => {
    const response = await app().inject({ method: 'GET', url: '/v1/models' });
    expect(response.json().data.map((model: { id: string }) => model.id)).toEqual(['openai/gpt-4o', 'meta-llama/Llama-3-8B/instruct', 'plain']);
  });
});
