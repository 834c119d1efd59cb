import { bench, describe } from 'vitest';
import type { Deployment } from '@switchyard/config';
import { buildProviderBody, providerBodyText } from '@switchyard/providers';

/*
 * CPU cost of building the provider's body in the upstream-caller, before
 * (parse, spread, JSON.stringify) and now (parse for the fields, one
 * jsonc-parser tree of the text for offsets, edits in place). Run with
 * `pnpm exec vitest bench --run test/compat/body-build.bench.ts`.
 */

const deployment = {
  id: 'bench/1',
  providerModel: 'gpt-4o-mini',
  defaultParams: { max_tokens: 256 },
} as unknown as Deployment;

function chatBody(bytes: number): string {
  const messages: Array<{ role: string; content: string }> = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const content = `Message ${i}: ${'lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(8)}`;
    messages.push({ role: i % 2 === 0 ? 'user' : 'assistant', content });
    size += content.length + 40;
  }
  return JSON.stringify({ model: 'group', messages, temperature: 0.7, seed: 12345, stream: true });
}

for (const [label, bytes] of [['2 KB', 2 * 1024], ['200 KB', 200 * 1024]] as const) {
  const text = chatBody(bytes);
  const opts = { stream: true, wantUsage: false };
  describe(`body build, ${label} streamed chat`, () => {
    bench('before: JSON.parse + JSON.stringify', () => {
      const json = JSON.parse(text) as Record<string, unknown>;
      JSON.stringify(buildProviderBody(deployment, 'chat.completions', json, opts));
    });
    bench('now: JSON.parse + edit the text in place', () => {
      const json = JSON.parse(text) as Record<string, unknown>;
      providerBodyText(deployment, 'chat.completions', json, { ...opts, bodyText: text });
    });
  });
}
