import type { Deployment } from '@switchyard/config';
import type { Endpoint } from '@switchyard/contracts';
import { countPromptTokens, encodingFor, warmTokenizer } from '@switchyard/providers';

/**
 * The prompt tokens the limiter reserves. The real tokenizer runs only when a
 * candidate deployment has a token limit to enforce; otherwise the cheap
 * approximation is enough (nothing is checked against it). Either way the
 * count finishes in bounded time (see libs/providers/src/tokens.ts).
 */
export function estimatePromptTokens(endpoint: Endpoint, body: Record<string, unknown>, candidates: readonly Deployment[]): number {
  const limited = candidates.find((deployment) => deployment.tpm !== null);
  return countPromptTokens(endpoint, body, limited ? encodingFor(limited) : 'approximate');
}

/** Loads the tokenizers the configured token limits need at start, not on the first request. */
export function warmTokenizers(deployments: readonly Deployment[]): void {
  for (const deployment of deployments) if (deployment.tpm !== null) warmTokenizer(encodingFor(deployment));
}

/**
 * What the completion of a request may cost, as the envelope carries it: the
 * bound of one choice and the number of choices (max_output_tokens on the
 * Responses API). A client that sends both
 * max_tokens and max_completion_tokens is bounded by the larger (providers
 * differ in which one they honour), and every choice the provider generates
 * (n, or best_of on completions, which bills each candidate) may use it.
 */
export function completionBoundsOf(body: Record<string, unknown>): { maxCompletionTokens: number | null; choices: number } {
  const limits = [body.max_tokens, body.max_completion_tokens, body.max_output_tokens].filter((value): value is number => typeof value === 'number');
  const counts = [body.n, body.best_of].filter((value): value is number => typeof value === 'number' && value >= 1);
  return { maxCompletionTokens: limits.length > 0 ? Math.max(...limits) : null, choices: counts.length > 0 ? Math.max(...counts) : 1 };
}
