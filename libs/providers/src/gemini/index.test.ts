import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { httpFailure } from '../failures.js';
import { buildProviderRequest } from '../request.js';
import { scrubberFor } from '../secrets.js';
import { deployment, TEST_KEY } from '../../test/fixtures.js';

const flash = (apiBase: string | null, providerModel = 'gemini-2.5-flash') => deployment({ id: 'flash/1', provider: 'gemini', providerModel, apiBase });
const chat = { model: 'flash', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } };
const opts = (stream: boolean) => ({ stream, wantUsage: false });

describe('providers: gemini request on the wire', () => {
  it.each([
    [null, false, 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent'],
    [null, true, 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'],
    ['http://proxy:8080/', false, 'http://proxy:8080/v1beta/models/gemini-2.5-flash:generateContent'],
    ['http://proxy:8080/v1', true, 'http://proxy:8080/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse'],
    // LiteLLM's form for a proxy: the api_base names the model, the method follows a colon.
    ['https://gateway.example/v1/acct/gw/google-ai-studio/v1beta/models/gemini-2.5-flash', true, 'https://gateway.example/v1/acct/gw/google-ai-studio/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'],
  ])('providers: gemini api_base %s (stream %s) -> %s, the key in x-goog-api-key only', (apiBase, stream, url) => {
    const req = buildProviderRequest(flash(apiBase), 'chat.completions', chat, opts(stream));
    expect(req.url).toBe(url);
    expect(req.url).not.toContain(TEST_KEY);
    expect(req.headers['x-goog-api-key']).toBe(TEST_KEY);
    expect(req.headers.authorization).toBeUndefined();
    expect(JSON.parse(req.body)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });

  it('providers: gemini takes the deployment max_tokens default into generationConfig', () => {
    const withDefault = deployment({ provider: 'gemini', providerModel: 'gemini-2.0-flash', defaultParams: { max_tokens: 77, temperature: 0.2 } });
    expect(JSON.parse(buildProviderRequest(withDefault, 'chat.completions', chat, opts(false)).body).generationConfig).toEqual({ maxOutputTokens: 77, temperature: 0.2 });
  });

  it('providers: gemini sends the deployment\'s safety_settings unless the client sent its own', () => {
    const settings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }];
    const withSettings = deployment({ provider: 'gemini', providerModel: 'gemini-2.5-flash', defaultParams: { safety_settings: settings } });
    expect(JSON.parse(buildProviderRequest(withSettings, 'chat.completions', chat, opts(false)).body).safetySettings).toEqual(settings);
    const own = [{ category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'BLOCK_LOW_AND_ABOVE' }];
    expect(JSON.parse(buildProviderRequest(withSettings, 'chat.completions', { ...chat, safety_settings: own }, opts(false)).body).safetySettings).toEqual(own);
  });

  it('providers: gemini embeddings are one batchEmbedContents call with a request per input', () => {
    const req = buildProviderRequest(flash(null, 'text-embedding-004'), 'embeddings', { model: 'e', input: ['a', 'b'], dimensions: 64 }, opts(false));
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(JSON.parse(req.body)).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 64 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] }, outputDimensionality: 64 },
      ],
    });
    expect(() => buildProviderRequest(flash(null, 'e'), 'embeddings', { model: 'e', input: [1, 2, 3] }, opts(false))).toThrow(GatewayError);
  });

  it('providers: gemini answers embeddings as OpenAI does, base64 when the SDK asks for it', () => {
    const req = buildProviderRequest(flash(null, 'text-embedding-004'), 'embeddings', { model: 'e', input: 'abcdefgh', encoding_format: 'base64' }, opts(false));
    const { body, usage } = req.translation!.transforms.response({ embeddings: [{ values: [0.5, -1] }] }, req.translation!.ctx);
    const data = (body!.data as Array<{ embedding: string }>)[0]!;
    const bytes = Buffer.from(data.embedding, 'base64');
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]).toEqual([0.5, -1]);
    expect(usage).toEqual({ prompt_tokens: 2, completion_tokens: 0, total_tokens: 2 });
  });

  it('providers: gemini a model id that is not one (a wildcard fed a path) is a 400, not a URL', () => {
    expect(() => buildProviderRequest(flash(null, '../../v1/files'), 'chat.completions', chat, opts(false))).toThrow(/is not a Google model id/);
  });

  it('providers: gemini without a key is misconfigured, naming GEMINI_API_KEY when it is unset', () => {
    const keyless = deployment({ provider: 'gemini', providerModel: 'gemini-2.5-flash', apiKey: null, apiKeyEnv: 'GEMINI_API_KEY' });
    expect(() => buildProviderRequest(keyless, 'chat.completions', chat, opts(false))).toThrow(/GEMINI_API_KEY is not set/);
  });
});

describe('providers: gemini errors', () => {
  const google = (code: number, status: string, message: string, details: unknown[] = []) => JSON.stringify({ error: { code, message, status, details } });
  const d = flash(null);

  it('providers: gemini 429 RESOURCE_EXHAUSTED is a retryable 429 with Google\'s status as the code', () => {
    expect(httpFailure(d, 429, { 'retry-after': '3' }, google(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded'), scrubberFor(d))).toMatchObject({
      status: 429,
      retryable: true,
      retryAfterSeconds: 3,
      error: { error: { message: 'Quota exceeded', type: 'rate_limit_error', code: 'RESOURCE_EXHAUSTED' } },
    });
  });

  it('providers: gemini 400 INVALID_ARGUMENT is the client\'s, not retryable; 503 UNAVAILABLE a retryable 502', () => {
    expect(httpFailure(d, 400, {}, google(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'), scrubberFor(d))).toMatchObject({ status: 400, retryable: false, error: { error: { code: 'INVALID_ARGUMENT' } } });
    expect(httpFailure(d, 503, {}, google(503, 'UNAVAILABLE', 'The model is overloaded.'), scrubberFor(d))).toMatchObject({ status: 502, retryable: true });
  });

  it('providers: gemini a rejected key (400 API_KEY_INVALID) is the gateway\'s credentials failing, and echoes no key', () => {
    const body = google(400, 'INVALID_ARGUMENT', `API key not valid: ${TEST_KEY}`, [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }]);
    const failure = httpFailure(d, 400, {}, body, scrubberFor(d));
    expect(failure).toMatchObject({ status: 502, retryable: true, error: { error: { code: 'upstream_auth_failed' } } });
    expect(JSON.stringify(failure)).not.toContain(TEST_KEY);
  });
});
