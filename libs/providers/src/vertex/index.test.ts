import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import type { VertexSettings } from '@switchyard/config';
import { buildProviderRequest } from '../request.js';
import { scrubberForCall } from '../secrets.js';
import { deployment } from '../../test/fixtures.js';

const settings = (overrides: Partial<VertexSettings> = {}): VertexSettings => ({ project: 'my-proj', location: 'europe-west4', credentials: null, credentialsProblem: null, ...overrides });
const vertex = (providerModel: string, apiBase: string | null = null, overrides: Partial<VertexSettings> = {}) =>
  deployment({ id: 'v/1', provider: 'vertex_ai', providerModel, apiBase, apiKey: null, vertex: settings(overrides) });
const chat = { model: 'v', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }], stream_options: { include_usage: true } };
const opts = (stream: boolean) => ({ stream, wantUsage: false });

describe('providers: vertex_ai request on the wire', () => {
  it.each([
    ['gemini-2.5-pro', null, false, 'https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent'],
    ['gemini-2.5-pro', null, true, 'https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
    ['claude-sonnet-4@20250514', null, false, 'https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict'],
    ['claude-sonnet-4@20250514', null, true, 'https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict'],
    ['gemini-2.5-pro', 'http://127.0.0.1:9999', false, 'http://127.0.0.1:9999/v1/projects/my-proj/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent'],
    ['gemini-2.5-pro', 'https://proxy.example/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro', true, 'https://proxy.example/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
  ])('providers: vertex_ai %s at api_base %s (stream %s) -> %s', (model, apiBase, stream, url) => {
    expect(buildProviderRequest(vertex(model, apiBase), 'chat.completions', chat, opts(stream)).url).toBe(url);
  });

  it('providers: vertex_ai location global has no regional host', () => {
    expect(buildProviderRequest(vertex('gemini-2.5-pro', null, { location: 'global' }), 'chat.completions', chat, opts(false)).url).toBe(
      'https://aiplatform.googleapis.com/v1/projects/my-proj/locations/global/publishers/google/models/gemini-2.5-pro:generateContent',
    );
  });

  it('providers: vertex_ai Gemini gets the Gemini body; no key header (the token comes from authorize)', () => {
    const req = buildProviderRequest(vertex('gemini-2.5-pro'), 'chat.completions', chat, opts(true));
    expect(JSON.parse(req.body)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    expect(req.headers.authorization).toBeUndefined();
    expect(req.headers['x-goog-api-key']).toBeUndefined();
  });

  it('providers: vertex_ai Claude gets Anthropic\'s body with anthropic_version and without model', () => {
    const req = buildProviderRequest(vertex('claude-sonnet-4@20250514'), 'chat.completions', chat, opts(true));
    expect(JSON.parse(req.body)).toEqual({
      anthropic_version: 'vertex-2023-10-16',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      system: [{ type: 'text', text: 'Be brief.' }],
      max_tokens: 4096,
      stream: true,
    });
    expect(req.headers['anthropic-version']).toBeUndefined();
    const { body } = req.translation!.transforms.response(
      { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [{ type: 'text', text: 'Hello' }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 1 } },
      req.translation!.ctx,
    );
    expect(body).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Hello' }, finish_reason: 'stop' }], usage: { total_tokens: 4 } });
  });

  it('providers: vertex_ai embeddings are one predict call; its token counts are the usage', () => {
    const req = buildProviderRequest(vertex('text-embedding-005'), 'embeddings', { model: 'e', input: ['a', 'b'], dimensions: 8 }, opts(false));
    expect(req.url).toBe('https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4/publishers/google/models/text-embedding-005:predict');
    expect(JSON.parse(req.body)).toEqual({ instances: [{ content: 'a' }, { content: 'b' }], parameters: { outputDimensionality: 8 } });
    const { body, usage } = req.translation!.transforms.response(
      { predictions: [{ embeddings: { values: [1, 2], statistics: { token_count: 3 } } }, { embeddings: { values: [3, 4], statistics: { token_count: 4 } } }] },
      req.translation!.ctx,
    );
    expect(body).toMatchObject({ object: 'list', data: [{ index: 0, embedding: [1, 2] }, { index: 1, embedding: [3, 4] }], usage: { prompt_tokens: 7, total_tokens: 7 } });
    expect(usage?.total_tokens).toBe(7);
  });

  it('providers: vertex_ai without a project is misconfigured; Claude embeddings are a 400', () => {
    expect(() => buildProviderRequest(vertex('gemini-2.5-pro', null, { project: null }), 'chat.completions', chat, opts(false))).toThrow(/vertex_project/);
    const refused = (() => {
      try {
        buildProviderRequest(vertex('claude-sonnet-4@20250514'), 'embeddings', { model: 'e', input: 'x' }, opts(false));
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).status).toBe(400);
  });
});

describe('providers: vertex_ai secrets', () => {
  it('providers: vertex_ai an issued token is scrubbed like a configured key, in every form', () => {
    const token = 'ya29.c.issued-token-0123456789abcdef';
    const scrubber = scrubberForCall(vertex('gemini-2.5-pro'), { authorization: `Bearer ${token}` });
    expect(scrubber.text(`{"error":{"message":"bad token ${token}"}}`)).not.toContain(token);
    expect(scrubber.text(Buffer.from(`Bearer ${token}`).toString('base64'))).toBe('[redacted]');
    // A date or digest an authorize hook adds is not a secret.
    expect(scrubberForCall(vertex('gemini-2.5-pro'), { 'x-amz-date': '20261202T050000Z' }).text('20261202T050000Z')).toBe('20261202T050000Z');
  });
});
