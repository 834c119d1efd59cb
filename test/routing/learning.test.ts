import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dropTestDatabase, eventually, startInProcessStack, startMockProvider, type InProcessStack, type MockProvider } from '../harness/index.js';

/**
 * Learning end to end: a simulated user talks to the router through the
 * whole stack. `coder-a` is cheap and its config claims code as a strength,
 * but it answers code badly; `coder-b` is expensive and good at code. Both
 * write well. The user reacts with the spec's phrases, the learner turns the
 * reactions into cells, and the ingress samples the fresh cells.
 */
function learningConfig(mockUrl: string): string {
  return `model_list:
  - model_name: coder-a
    litellm_params: { model: openai/coder-a, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.0000001 }
    model_info: { adaptive_router_preferences: { quality_tier: 2, strengths: [code_generation] } }
  - model_name: coder-b
    litellm_params: { model: openai/coder-b, api_base: ${mockUrl}, api_key: sk-mock, input_cost_per_token: 0.00001 }
    model_info: { adaptive_router_preferences: { quality_tier: 2 } }
  - model_name: smart
    litellm_params:
      model: auto_router/adaptive_router
      adaptive_router_config: { available_models: [coder-a, coder-b], weights: { quality: 0.8, cost: 0.2 } }
`;
}

type Kind = 'code' | 'writing';
const ANSWERS_WELL: Record<Kind, Record<string, boolean>> = {
  code: { 'coder-a': false, 'coder-b': true },
  writing: { 'coder-a': true, 'coder-b': true },
};
const OPENERS: Record<Kind, (i: number) => string> = {
  code: (i) => `Write a python function that merges sorted lists, variant ${i}`,
  writing: (i) => `Draft an email to the team about the offsite, version ${i}`,
};

async function send(url: string, sessionId: string, messages: Array<{ role: string; content: string }>) {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchyard-session-id': sessionId },
    body: JSON.stringify({ model: 'smart', messages }),
  });
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return { model: response.headers.get('x-switchyard-router-model')!, text: body.choices[0]!.message.content };
}

/** One conversation of three turns; the third reacts to how the owner did. Returns the owner. */
async function converse(urls: string[], kind: Kind, i: number): Promise<string> {
  const sessionId = randomUUID();
  const url = urls[i % urls.length]!;
  const opener = OPENERS[kind](i);
  const first = await send(url, sessionId, [{ role: 'user', content: opener }]);
  const history = [
    { role: 'user', content: opener },
    { role: 'assistant', content: first.text },
    // No word in common with the opener: the spec would read any overlap below 0.45 as a rewording (misalignment).
    { role: 'user', content: 'Looks fine so far' },
  ];
  const second = await send(url, sessionId, history);
  const reaction = ANSWERS_WELL[kind][first.model] ? 'thanks, that worked' : 'never mind, forget it';
  await send(url, sessionId, [...history, { role: 'assistant', content: second.text }, { role: 'user', content: reaction }]);
  return first.model;
}

async function stateOf(url: string) {
  const response = await fetch(`${url}/routers/smart/state`);
  return ((await response.json()) as { routers: Array<{ cells: Array<Record<string, number | string>> }> }).routers[0]!.cells;
}

describe('routing: learning from conversations, end to end', () => {
  let mock: MockProvider;
  let stack: InProcessStack;
  const owners: Record<Kind, string[]> = { code: [], writing: [] };
  const SESSIONS = 300;

  beforeAll(async () => {
    mock = await startMockProvider();
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: learningConfig(mock.url),
      scale: { ingress: 2, learner: 2 },
    });
    for (let i = 0; i < SESSIONS; i++) owners[i % 2 ? 'writing' : 'code'].push(await converse(stack.ingressUrls, i % 2 ? 'writing' : 'code', i));
  }, 240_000);
  afterAll(async () => {
    await stack?.stop();
    if (stack) await dropTestDatabase(inject('servers').postgresUrl, stack.databaseUrl);
    await mock?.close();
  });

  const share = (list: string[], model: string) => list.slice(-60).filter((owner) => owner === model).length / 60;

  it('sends most code to the model that answers code well, against its prior', () => {
    expect(share(owners.code, 'coder-b')).toBeGreaterThanOrEqual(0.7);
  });

  it('lets the cheap model win where both are good', () => {
    expect(share(owners.writing, 'coder-a')).toBeGreaterThanOrEqual(0.7);
  });

  it('shows the learned evidence on the state endpoint', async () => {
    const cells = await eventually(async () => {
      const current = await stateOf(stack.ingressUrls[0]!);
      // Each conversation carries exactly one signal: its third turn's reaction.
      const learned = current.reduce((sum, cell) => sum + Number(cell.samples), 0);
      return learned === SESSIONS ? current : undefined;
    }, 30_000, 'every session learned');
    const cell = (type: string, model: string) => cells.find((c) => c.request_type === type && c.model === model)!;
    expect(Number(cell('code_generation', 'coder-a').quality_mean)).toBeLessThan(0.5);
    expect(Number(cell('code_generation', 'coder-b').quality_mean)).toBeGreaterThan(0.8);
  });

  it('after a restart of every service, serves the same posteriors and routes by them', async () => {
    const before = await eventually(async () => {
      const current = await stateOf(stack.ingressUrls[0]!);
      return current.reduce((sum, cell) => sum + Number(cell.samples), 0) === SESSIONS ? current : undefined;
    }, 30_000, 'every session learned');
    const { names, databaseUrl } = stack;
    await Promise.all(stack.replicas.map((replica) => replica.stop()));
    stack = await startInProcessStack({
      servers: inject('servers'),
      config: learningConfig(mock.url),
      scale: { ingress: 2, learner: 1 },
      reuse: { names, databaseUrl },
    });
    expect(await stateOf(stack.ingressUrls[1]!)).toEqual(before);
    const routed: string[] = [];
    for (let i = 0; i < 40; i++) routed.push((await send(stack.ingressUrls[i % 2]!, randomUUID(), [{ role: 'user', content: OPENERS.code(1000 + i) }])).model);
    expect(routed.filter((model) => model === 'coder-b').length).toBeGreaterThanOrEqual(28);
  });
});
