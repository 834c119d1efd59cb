import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * Issue 7, bad input: whatever JSON a client sends to an OpenAI endpoint of
 * the ingress (arbitrary values, or valid bodies with one part broken), the
 * answer is a 200 or an OpenAI-shaped 4xx, never a 5xx or a hang, and a 4xx
 * of the gateway's own never reaches the provider. Every 200 made exactly one
 * provider call (so did a 4xx the provider itself answered, relayed with the
 * x-switchyard-attempts header: an embedding size beyond the model's, which
 * only the provider can judge).
 */

const PATHS = { chat: '/v1/chat/completions', completions: '/v1/completions', embeddings: '/v1/embeddings' } as const;
type Kind = keyof typeof PATHS;

const VALID: Record<Kind, Record<string, unknown>> = {
  chat: {
    model: 'model-0',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
    ],
    max_tokens: 16,
    temperature: 0.5,
    stream: false,
  },
  completions: { model: 'model-0', prompt: 'Once upon a time', max_tokens: 16 },
  embeddings: { model: 'embed', input: ['hello', 'world'] },
};

/** Fields (paths) of each valid body that a mutation may replace or delete. */
const FIELDS: Record<Kind, Array<Array<string | number>>> = {
  chat: [
    ['model'],
    ['messages'],
    ['messages', 0],
    ['messages', 1, 'role'],
    ['messages', 1, 'content'],
    ['max_tokens'],
    ['max_completion_tokens'],
    ['temperature'],
    ['top_p'],
    ['n'],
    ['stream'],
    ['stream_options'],
    ['user'],
    ['metadata'],
    ['tools'],
  ],
  completions: [['model'], ['prompt'], ['max_tokens'], ['n'], ['stream'], ['stream_options'], ['temperature'], ['user']],
  embeddings: [['model'], ['input'], ['input', 0], ['encoding_format'], ['dimensions'], ['user']],
};

type Mutation = { op: 'set'; path: Array<string | number>; value: unknown } | { op: 'delete'; path: Array<string | number> } | { op: 'extra'; key: string; value: unknown };

function mutate(body: Record<string, unknown>, mutation: Mutation): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  if (mutation.op === 'extra') {
    copy[mutation.key] = mutation.value;
    return copy;
  }
  let parent: any = copy;
  for (const key of mutation.path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return copy;
    parent = parent[key];
  }
  if (typeof parent !== 'object' || parent === null) return copy;
  const last = mutation.path.at(-1)!;
  if (mutation.op === 'delete') {
    if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
    else delete parent[last];
  } else {
    parent[last] = mutation.value;
  }
  return copy;
}

/** JSON values, strings with any code unit (lone surrogates included) and numbers at the edges. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, '', ' ', null, true, [], {}),
);

const mutationOf = (kind: Kind): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...FIELDS[kind]), value: anyValue }),
    fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...FIELDS[kind]) }),
    fc.record({ op: fc.constant('extra' as const), key: fc.string({ maxLength: 12 }), value: anyValue }),
  );

const kindArb = fc.constantFrom<Kind>('chat', 'completions', 'embeddings');

describe('faults: bad input at the ingress, property-based', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  let served = 0;
  let relayedRefusals = 0;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: `model_list:
  - model_name: model-0
    litellm_params:
      model: openai/provider-model-0
      api_base: ${mock.url}
      api_key: sk-mock
  - model_name: embed
    litellm_params:
      model: openai/embedding-model
      api_base: ${mock.url}
      api_key: sk-mock
`,
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await mock?.close();
  });

  /** Sends one body; asserts a 200 or an OpenAI-shaped 4xx, and no provider call for a 4xx of the gateway's. */
  async function check(kind: Kind, body: string): Promise<void> {
    const before = mock.calls;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${stack.ingressUrls[0]}${PATHS[kind]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
      text = await response.text();
    } catch (error) {
      // A hang is a failure of its own; no shrinking (endOnFailure) so that it is reported at once.
      throw new Error(`no answer for ${PATHS[kind]} ${body.slice(0, 300)}: ${String(error)}`);
    }
    const what = `${response.status} for ${PATHS[kind]} ${body.slice(0, 300)}: ${text.slice(0, 300)}`;
    // The provider may refuse what the gateway cannot judge (an embedding size beyond the model's):
    // such a 4xx is the provider's, relayed with the attempt header, after its one call.
    const relayed = response.headers.get('x-switchyard-attempts') !== null;
    if (response.status === 200 || relayed) {
      if (response.status === 200) served += 1;
      else relayedRefusals += 1;
      expect(mock.calls - before, what).toBe(1);
      if (response.status === 200) return;
    }
    expect(response.status >= 400 && response.status < 500, what).toBe(true);
    const json = JSON.parse(text) as { error: Record<string, unknown> };
    expect(json.error, what).toMatchObject({ message: expect.any(String), type: expect.any(String) });
    expect(json.error.code === null || typeof json.error.code === 'string', what).toBe(true);
    expect(json.error.param === null || typeof json.error.param === 'string', what).toBe(true);
    if (!relayed) expect(mock.calls, what).toBe(before);
  }

  it('faults: arbitrary JSON values as a body -> an OpenAI-shaped 4xx or a 200, never a 5xx, no provider call for a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(kindArb, anyValue, async (kind, value) => check(kind, JSON.stringify(value) ?? 'null')),
      { numRuns: 200, endOnFailure: true },
    );
  }, 60_000);

  it('faults: valid bodies with one part broken, removed or added -> an OpenAI-shaped 4xx or a 200, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        kindArb.chain((kind) => fc.tuple(fc.constant(kind), fc.array(mutationOf(kind), { minLength: 1, maxLength: 3 }))),
        async ([kind, mutations]) => {
          const body = mutations.reduce<unknown>((current, mutation) => mutate(current as Record<string, unknown>, mutation), VALID[kind]);
          await check(kind, JSON.stringify(body));
        },
      ),
      { numRuns: 400, endOnFailure: true },
    );
  }, 90_000);

  it('faults: bytes that are not JSON -> 400, never a provider call', async () => {
    await fc.assert(
      fc.asyncProperty(kindArb, fc.string({ unit: 'binary', maxLength: 64 }), async (kind, text) => {
        fc.pre(!isJson(text));
        await check(kind, text);
      }),
      { numRuns: 100, endOnFailure: true },
    );
  }, 60_000);

  it('faults: the properties exercised both sides (some bodies served, none made a second call)', () => {
    expect(served).toBeGreaterThan(10);
    expect(mock.calls).toBe(served + relayedRefusals);
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
