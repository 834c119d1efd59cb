import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import type { Deployment, ProviderName } from '@switchyard/config';
import { Secret } from '@switchyard/config';
import { buildProviderBody, buildProviderRequest, MISCONFIGURED, providerBodyText } from './request.js';
import { AZURE_DEFAULT_API_VERSION } from './providers/azure.js';
import { deployment, TEST_KEY } from '../test/fixtures.js';

const chat = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };

describe('providers request: URLs and auth per provider', () => {
  const cases: Array<{ provider: ProviderName; apiBase: string | null; urls: [string, string, string]; auth: Record<string, string> }> = [
    {
      provider: 'openai',
      apiBase: null,
      urls: ['https://api.openai.com/v1/chat/completions', 'https://api.openai.com/v1/completions', 'https://api.openai.com/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'openai',
      apiBase: 'http://proxy.internal:8080/v1/',
      urls: ['http://proxy.internal:8080/v1/chat/completions', 'http://proxy.internal:8080/v1/completions', 'http://proxy.internal:8080/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'azure',
      apiBase: 'https://res.openai.azure.com/',
      urls: [
        `https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`,
        `https://res.openai.azure.com/openai/deployments/gpt-4o-mini/completions?api-version=${AZURE_DEFAULT_API_VERSION}`,
        `https://res.openai.azure.com/openai/deployments/gpt-4o-mini/embeddings?api-version=${AZURE_DEFAULT_API_VERSION}`,
      ],
      auth: { 'api-key': TEST_KEY },
    },
    {
      provider: 'hosted_vllm',
      apiBase: 'http://vllm:8000/v1',
      urls: ['http://vllm:8000/v1/chat/completions', 'http://vllm:8000/v1/completions', 'http://vllm:8000/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'ollama',
      apiBase: null,
      urls: ['http://localhost:11434/v1/chat/completions', 'http://localhost:11434/v1/completions', 'http://localhost:11434/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'ollama',
      apiBase: 'http://gpu-box:11434//',
      urls: ['http://gpu-box:11434/v1/chat/completions', 'http://gpu-box:11434/v1/completions', 'http://gpu-box:11434/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'ollama',
      apiBase: 'http://gpu-box:11434/v1',
      urls: ['http://gpu-box:11434/v1/chat/completions', 'http://gpu-box:11434/v1/completions', 'http://gpu-box:11434/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'groq',
      apiBase: null,
      urls: ['https://api.groq.com/openai/v1/chat/completions', 'https://api.groq.com/openai/v1/completions', 'https://api.groq.com/openai/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'together_ai',
      apiBase: null,
      urls: ['https://api.together.xyz/v1/chat/completions', 'https://api.together.xyz/v1/completions', 'https://api.together.xyz/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'deepseek',
      apiBase: null,
      urls: ['https://api.deepseek.com/v1/chat/completions', 'https://api.deepseek.com/v1/completions', 'https://api.deepseek.com/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'mistral',
      apiBase: null,
      urls: ['https://api.mistral.ai/v1/chat/completions', 'https://api.mistral.ai/v1/completions', 'https://api.mistral.ai/v1/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
    {
      provider: 'deepseek',
      apiBase: 'https://my-gateway.example/deepseek',
      urls: ['https://my-gateway.example/deepseek/chat/completions', 'https://my-gateway.example/deepseek/completions', 'https://my-gateway.example/deepseek/embeddings'],
      auth: { authorization: `Bearer ${TEST_KEY}` },
    },
  ];

  for (const c of cases) {
    it(`providers request: ${c.provider} with api_base ${c.apiBase ?? '(default)'}`, () => {
      const d = deployment({ provider: c.provider, apiBase: c.apiBase });
      const endpoints = ['chat.completions', 'completions', 'embeddings'] as const;
      endpoints.forEach((endpoint, i) => {
        const req = buildProviderRequest(d, endpoint, chat, { stream: false, wantUsage: false });
        expect(req.url).toBe(c.urls[i]);
        expect(req.method).toBe('POST');
        expect(req.headers).toMatchObject({ 'content-type': 'application/json', ...c.auth });
        expect(JSON.parse(req.body).model).toBe('gpt-4o-mini');
      });
    });
  }

  it('providers request: azure uses the configured api_version and strips a trailing /openai', () => {
    const d = deployment({ provider: 'azure', apiBase: 'https://res.openai.azure.com/openai/', apiVersion: '2024-06-01', providerModel: 'my dep' });
    const req = buildProviderRequest(d, 'chat.completions', chat, { stream: false, wantUsage: false });
    expect(req.url).toBe('https://res.openai.azure.com/openai/deployments/my%20dep/chat/completions?api-version=2024-06-01');
    expect(req.headers.authorization).toBeUndefined();
  });

  it('providers request: keyless self-hosted providers send no auth header', () => {
    for (const provider of ['hosted_vllm', 'ollama'] as const) {
      const req = buildProviderRequest(deployment({ provider, apiBase: 'http://h:1', apiKey: null }), 'chat.completions', chat, {
        stream: false,
        wantUsage: false,
      });
      expect(req.headers.authorization).toBeUndefined();
    }
  });

  it('providers request: extra headers merge case-insensitively but cannot change the content type', () => {
    const d = deployment({ extraHeaders: { 'X-Team': 'search', Authorization: 'Bearer other', 'Content-Type': 'text/plain' } });
    const req = buildProviderRequest(d, 'chat.completions', chat, { stream: false, wantUsage: false });
    expect(req.headers['x-team']).toBe('search');
    expect(req.headers.authorization).toBe('Bearer other');
    expect(req.headers['content-type']).toBe('application/json');
  });
});

describe('providers request: body', () => {
  it('providers request: defaults apply only where the client set nothing', () => {
    const d = deployment({ defaultParams: { max_tokens: 256, temperature: 0.2, top_p: 0.9 } });
    const body = buildProviderBody(d, 'chat.completions', { ...chat, temperature: 1, top_p: null }, { stream: false, wantUsage: false });
    expect(body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 256, temperature: 1, top_p: 0.9 });
  });

  it('providers request: the client body is not mutated', () => {
    const input = { ...chat, stream: true, stream_options: { include_usage: false } };
    const copy = structuredClone(input);
    buildProviderRequest(deployment({ defaultParams: { max_tokens: 5 } }), 'chat.completions', input, { stream: true, wantUsage: false });
    expect(input).toEqual(copy);
  });

  it('providers request: streams always ask for usage, keeping other stream options', () => {
    for (const endpoint of ['chat.completions', 'completions'] as const) {
      const body = buildProviderBody(deployment(), endpoint, { ...chat, stream_options: { include_usage: false, other: 1 } }, {
        stream: true,
        wantUsage: false,
      });
      expect(body.stream).toBe(true);
      expect(body.stream_options).toEqual({ include_usage: true, other: 1 });
    }
  });

  it('providers request: non-streams and embeddings carry no stream fields', () => {
    const plain = buildProviderBody(deployment(), 'chat.completions', { ...chat, stream: false, stream_options: {} }, { stream: false, wantUsage: false });
    expect(plain).not.toHaveProperty('stream');
    expect(plain).not.toHaveProperty('stream_options');
    const embed = buildProviderBody(deployment(), 'embeddings', { model: 'e', input: 'x' }, { stream: true, wantUsage: true });
    expect(embed).not.toHaveProperty('stream');
  });

  it('providers request: mistral gets no stream_options (it rejects them and reports usage unasked)', () => {
    const req = buildProviderRequest(deployment({ provider: 'mistral' }), 'chat.completions', { ...chat, stream_options: { include_usage: true } }, {
      stream: true,
      wantUsage: true,
    });
    const body = JSON.parse(req.body);
    expect(body.stream).toBe(true);
    expect(body).not.toHaveProperty('stream_options');
    expect(req.headers.accept).toBe('text/event-stream');
  });
});

describe('providers request: the body as text, edited in place', () => {
  const d = deployment({ defaultParams: { max_tokens: 256, temperature: 0.2 } });
  const asText = (text: string, endpoint: 'chat.completions' | 'completions' | 'embeddings' = 'chat.completions', stream = false, dep = d) =>
    providerBodyText(dep, endpoint, JSON.parse(text) as Record<string, unknown>, { stream, wantUsage: false, bodyText: text });

  it('providers request: numbers beyond 2^53 and long floats arrive as the client wrote them', () => {
    const text = '{"model":"group","seed":12345678901234567,"temperature":0.1000000000000000055511151231257827,"messages":[{"role":"user","content":"hi \\u00e9 \u00e9"}]}';
    const out = asText(text);
    expect(out).toContain('"seed":12345678901234567');
    expect(out).toContain('"temperature":0.1000000000000000055511151231257827');
    expect(out).toContain('"content":"hi \\u00e9 \u00e9"');
    expect(out).toBe('{"model":"gpt-4o-mini","seed":12345678901234567,"temperature":0.1000000000000000055511151231257827,"messages":[{"role":"user","content":"hi \\u00e9 \u00e9"}],"max_tokens":256}');
  });

  it('providers request: whitespace and key order are kept; only the model value changes', () => {
    const text = '{\n  "messages" : [ {"role": "user", "content": "x"} ],\n  "model": "group", "max_tokens": 7, "temperature": 1e0\n}';
    expect(asText(text)).toBe(text.replace('"model": "group"', '"model": "gpt-4o-mini"'));
  });

  it('providers request: a default is not added when the client set its stand-in (max_completion_tokens, tools, tool_choice)', () => {
    const dep = deployment({ defaultParams: { max_tokens: 256 } });
    const out = JSON.parse(asText('{"model":"g","messages":[],"max_completion_tokens":50}', 'chat.completions', false, dep));
    expect(out).not.toHaveProperty('max_tokens');
    expect(out.max_completion_tokens).toBe(50);
    const nulled = JSON.parse(asText('{"model":"g","messages":[],"max_tokens":null}', 'chat.completions', false, dep));
    expect(nulled.max_tokens).toBe(256);
  });

  it('providers request: embeddings get no completion defaults', () => {
    expect(asText('{"model":"e","input":"x"}', 'embeddings')).toBe('{"model":"gpt-4o-mini","input":"x"}');
  });

  it('providers request: streams ask for usage inside the client\'s own stream_options, or add them', () => {
    expect(asText('{"model":"g","prompt":"x","stream":true,"max_tokens":1,"temperature":0}', 'completions', true)).toBe(
      '{"model":"gpt-4o-mini","prompt":"x","stream":true,"max_tokens":1,"temperature":0,"stream_options":{"include_usage":true}}',
    );
    expect(asText('{"model":"g","prompt":"x","stream":true,"stream_options":{"include_usage":false},"max_tokens":1,"temperature":0}', 'completions', true)).toBe(
      '{"model":"gpt-4o-mini","prompt":"x","stream":true,"stream_options":{"include_usage":true},"max_tokens":1,"temperature":0}',
    );
    expect(asText('{"model":"g","prompt":"x","stream":true,"stream_options":{ },"max_tokens":1,"temperature":0}', 'completions', true)).toBe(
      '{"model":"gpt-4o-mini","prompt":"x","stream":true,"stream_options":{"include_usage":true },"max_tokens":1,"temperature":0}',
    );
  });

  it('providers request: stream fields are removed from a call that does not stream, wherever they are', () => {
    for (const text of [
      '{"stream":false,"stream_options":null,"model":"g","prompt":"x","max_tokens":1,"temperature":0}',
      '{"model":"g","stream":false,"prompt":"x","max_tokens":1,"temperature":0,"stream_options":{"include_usage":true}}',
    ]) {
      const out = asText(text, 'completions');
      expect(JSON.parse(out)).toEqual({ model: 'gpt-4o-mini', prompt: 'x', max_tokens: 1, temperature: 0 });
    }
  });

  it('providers request: a duplicated top-level key cannot smuggle a model past the gateway', () => {
    const out = asText('{"model":"cheap","messages":[],"model":"expensive-model","max_tokens":1,"temperature":0}');
    expect(out).not.toContain('expensive-model');
    expect(JSON.parse(out).model).toBe('gpt-4o-mini');
  });

  it('providers request: the text and the object path agree', () => {
    const bodies = [
      '{"model":"g","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":false,"other":1},"top_p":null}',
      '{"model":"gpt-4o-mini","messages":[],"functions":[],"max_tokens":3}',
      '{"model":"g","prompt":["a","b"],"stream":false}',
    ];
    for (const text of bodies) {
      for (const stream of [false, true]) {
        const json = JSON.parse(text) as Record<string, unknown>;
        const opts = { stream, wantUsage: false };
        expect(JSON.parse(providerBodyText(d, 'chat.completions', json, { ...opts, bodyText: text }))).toEqual(buildProviderBody(d, 'chat.completions', json, opts));
      }
    }
  });
});

describe('providers request: misconfiguration', () => {
  function misconfiguredMessage(d: Deployment): string {
    try {
      buildProviderRequest(d, 'chat.completions', chat, { stream: false, wantUsage: false });
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe(MISCONFIGURED);
      return (err as GatewayError).message;
    }
    throw new Error('expected a misconfiguration error');
  }

  it('providers request: a missing key names the unset variable', () => {
    expect(misconfiguredMessage(deployment({ apiKey: null, apiKeyEnv: 'OPENAI_API_KEY' }))).toContain('OPENAI_API_KEY');
    expect(misconfiguredMessage(deployment({ provider: 'ollama', apiKey: null, apiKeyEnv: 'OLLAMA_KEY' }))).toContain('OLLAMA_KEY');
  });

  it('providers request: a hosted provider needs a key on its own host, not on a custom api_base', () => {
    expect(misconfiguredMessage(deployment({ apiKey: null }))).toContain('no API key');
    expect(misconfiguredMessage(deployment({ apiKey: new Secret('', 'inline') }))).toContain('no API key');
    expect(misconfiguredMessage(deployment({ provider: 'azure', apiBase: 'https://x', apiKey: null }))).toContain('no API key');
    const req = buildProviderRequest(deployment({ apiKey: null, apiBase: 'http://lmstudio:1234/v1' }), 'chat.completions', chat, {
      stream: false,
      wantUsage: false,
    });
    expect(req.headers.authorization).toBeUndefined();
  });

  it('providers request: api_base required where there is no default, and must be a http(s) URL', () => {
    expect(misconfiguredMessage(deployment({ provider: 'hosted_vllm' }))).toContain('api_base');
    expect(misconfiguredMessage(deployment({ provider: 'azure' }))).toContain('api_base');
    expect(misconfiguredMessage(deployment({ apiBase: 'not a url' }))).toContain('not an http(s) URL');
    expect(misconfiguredMessage(deployment({ apiBase: 'ftp://x' }))).toContain('http');
  });

  it('providers request: unset environment variables stop the call instead of falling back to a default endpoint', () => {
    expect(misconfiguredMessage(deployment({ missingEnv: ['AZURE_API_BASE', 'AZURE_API_VERSION'] }))).toContain('AZURE_API_BASE, AZURE_API_VERSION');
  });

  it('providers request: the mock provider has no HTTP request', () => {
    expect(misconfiguredMessage(deployment({ provider: 'mock' }))).toContain('mock');
  });
});

describe('providers: wildcard routes', () => {
  it('providers: a wildcard route as configured is never called with its "*" model', () => {
    const route = deployment({ providerModel: '*', wildcard: { pattern: 'openai/*', modelTemplate: 'openai/*', matched: null } });
    expect(() => buildProviderRequest(route, 'chat.completions', { messages: [] }, { stream: false, wantUsage: false })).toThrow(/is a wildcard route \(openai\/\*\)/);
    const resolved = { ...route, providerModel: 'gpt-4o', wildcard: { ...route.wildcard!, matched: 'openai/gpt-4o' } };
    expect(JSON.parse(buildProviderRequest(resolved, 'chat.completions', { messages: [] }, { stream: false, wantUsage: false }).body).model).toBe('gpt-4o');
  });
});
