import { Errors } from '@switchyard/contracts';

/*
 * Google's model URLs: `{base}/{version}/models/{model}:{method}` (AI
 * Studio) and `.../publishers/{publisher}/models/{model}:{method}` (Vertex
 * AI). An api_base that already names the model (`.../models/gemini-pro`, as
 * LiteLLM's _check_custom_proxy takes a proxy's URL: `{api_base}:{method}`)
 * gets only the method; any other api_base is the host.
 */

/** The characters of Google's model ids (`gemini-2.5-flash`, `claude-sonnet-4@20250514`, `text-embedding-005`). */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/;

/** A model id that is safe in a URL path; a wildcard's model comes from the client, so it is checked. */
export function googleModelId(model: string): string {
  const id = model.replace(/^models\//, '');
  if (!MODEL_ID.test(id)) throw Errors.invalidRequest(`"${model}" is not a Google model id`, 'model', 'model_not_found');
  return id;
}

/** True when the api_base is a model's URL, to which only `:method` is added. */
export function namesModel(apiBase: string): boolean {
  return /\/models\/[^/]+$/.test(apiBase);
}

export function withMethod(modelUrl: string, method: string, sse: boolean): string {
  return `${modelUrl}:${method}${sse ? '?alt=sse' : ''}`;
}
