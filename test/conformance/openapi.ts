import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/*
 * OpenAI's published OpenAPI spec, loaded once, and a validator per component
 * schema. The spec is not in this repository: CI clones it beside the
 * repository as `shared/openai-openapi/openapi.yaml` (see its README), so it
 * is looked for in `shared/` next to the repository root or any folder above
 * it; OPENAI_OPENAPI_SPEC names another copy.
 */

const SPEC_PATH = join('shared', 'openai-openapi', 'openapi.yaml');
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPEC_ID = 'https://openai.invalid/openapi.yaml';

export function findSpec(env: Record<string, string | undefined> = process.env): string {
  if (env.OPENAI_OPENAPI_SPEC) {
    if (!existsSync(env.OPENAI_OPENAPI_SPEC)) throw new Error(`OPENAI_OPENAPI_SPEC=${env.OPENAI_OPENAPI_SPEC} does not exist`);
    return env.OPENAI_OPENAPI_SPEC;
  }
  const tried: string[] = [];
  for (let dir = dirname(REPO_ROOT); ; dir = dirname(dir)) {
    const candidate = join(dir, SPEC_PATH);
    tried.push(candidate);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `OpenAI's OpenAPI spec was not found (looked at ${tried.join(', ')}). ` +
      'Put the shared folder (shared/openai-openapi/openapi.yaml) beside the repository, or set OPENAI_OPENAPI_SPEC.',
  );
}

/**
 * A streamed completion's chunk. The spec says a completions stream is made
 * of CreateCompletionResponse objects, but OpenAI's own streams send
 * `"finish_reason": null` on every chunk before the last, which that schema
 * does not allow; this is that schema with a null finish_reason allowed, and
 * nothing else changed.
 */
const COMPLETION_CHUNK = 'CreateCompletionStreamChunk';

function completionChunkSchema(response: unknown): unknown {
  const schema = structuredClone(response) as {
    properties: { choices: { items: { properties: { finish_reason: unknown } } } };
  };
  const choice = schema.properties.choices.items.properties;
  choice.finish_reason = { anyOf: [choice.finish_reason, { type: 'null' }] };
  return schema;
}

/**
 * OpenAPI 3.0's `nullable: true`, which this 3.1 file still uses in places,
 * as JSON Schema says it (a `null` type beside the others); Ajv refuses
 * `nullable` without a `type`.
 */
function withoutNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutNullable);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (key !== 'nullable') out[key] = withoutNullable(value);
  if ((node as { nullable?: unknown }).nullable !== true) return out;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  if (Array.isArray(out.type)) return { ...out, type: [...new Set([...out.type, 'null'])] };
  return { anyOf: [out, { type: 'null' }] };
}

export type SchemaName =
  | typeof COMPLETION_CHUNK
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateCompletionResponse'
  | 'CreateEmbeddingResponse'
  | 'ListModelsResponse'
  | 'Model'
  | 'ErrorResponse'
  | 'Response'
  | `Response${string}Event`;

export interface Conformance {
  /** The problems of `value` against the component schema, as "path: message" lines; empty when it conforms. */
  problems(schema: SchemaName, value: unknown): string[];
}

let loaded: Conformance | null = null;

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The spec's component schemas as validators (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
export function loadConformance(path = findSpec()): Conformance {
  if (loaded) return loaded;
  const spec = parse(readFileSync(path, 'utf8'), { maxAliasCount: -1 }) as Record<string, unknown>;
  // OpenAPI adds keywords of its own (discriminator, x-*, example): ignored, not errors.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // The spec's own format: seconds since the epoch.
  ajv.addFormat('unixtime', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= 0 });
  const components = withoutNullable(spec.components) as { schemas: Record<string, unknown> };
  components.schemas[COMPLETION_CHUNK] = completionChunkSchema(components.schemas.CreateCompletionResponse);
  ajv.addSchema({ $id: SPEC_ID, components }, SPEC_ID);
  const validators = new Map<SchemaName, ValidateFunction>();
  const validator = (schema: SchemaName): ValidateFunction => {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${schema}`);
      if (!validate) throw new Error(`the spec has no component schema ${schema}`);
      validators.set(schema, validate);
    }
    return validate;
  };
  loaded = {
    problems(schema, value) {
      const validate = validator(schema);
      return validate(value) ? [] : (validate.errors ?? []).map(describe);
    },
  };
  return loaded;
}

function describe(error: ErrorObject): string {
  const detail = error.params && Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : '';
  return `${error.instancePath || '(root)'}: ${error.message ?? error.keyword}${detail}`;
}
