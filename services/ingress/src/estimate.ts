import type { Deployment } from '@switchyard/config';
import type { Endpoint } from '@switchyard/contracts';
import { countPromptTokens, encodingFor, warmTokenizer } from '@switchyard/providers';

/**
 * The prompt tokens the limiter reserves. The real tokenizer runs only when a
 * candidate deployment has a token limit to enforce; otherwise the cheap
 * approximation is enough (nothing is checked against it).
 */
export function estimatePromptTokens(endpoint: Endpoint, body: Record<string, unknown>, candidates: readonly Deployment[]): number {
  const limited = candidates.find((deployment) => deployment.tpm !== null);
  return countPromptTokens(endpoint, body, limited ? encodingFor(limited) : 'approximate');
}

/** Loads the tokenizers the configured token limits need at start, not on the first request. */
export function warmTokenizers(deployments: readonly Deployment[]): void {
  for (const deployment of deployments) if (deployment.tpm !== null) warmTokenizer(encodingFor(deployment));
}

export function maxCompletionTokensOf(body: Record<string, unknown>): number | null {
  const value = body.max_completion_tokens ?? body.max_tokens;
  return typeof value === 'number' ? value : null;
}
