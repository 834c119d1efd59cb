import { isRecord } from '../usage.js';

/*
 * OpenAI's tools and response_format take JSON Schema; Gemini's `parameters`
 * and `responseSchema` take the OpenAPI 3.0 subset of its Schema object and
 * refuse any other key ("Unknown name ... Cannot find field"). As LiteLLM's
 * _build_vertex_schema does: `$ref`s are inlined from `$defs`, a
 * `["string", "null"]` type becomes `nullable`, `const` an enum, and keys
 * the Schema object has not are left out.
 */

const SCHEMA_KEYS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
  'default', 'items', 'minimum', 'maximum',
]);

/** Deeper than this the schema is cut (a `$ref` cycle, or a schema no model would follow). */
const MAX_DEPTH = 32;

type Schema = Record<string, unknown>;

function resolveRef(ref: string, defs: Readonly<Record<string, unknown>>): Schema | null {
  const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref)?.[1];
  const found = name === undefined ? undefined : defs[decodeURIComponent(name)];
  return isRecord(found) ? found : null;
}

function convert(schema: Schema, defs: Readonly<Record<string, unknown>>, depth: number): Schema {
  if (depth > MAX_DEPTH) return { type: 'object' };
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(schema.$ref, defs);
    return target === null ? { type: 'object' } : convert({ ...target, ...withoutRef(schema) }, defs, depth + 1);
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      if (types.length < value.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1) out.anyOf = types.map((type) => ({ type }));
    } else if (key === 'const') {
      out.enum = [value];
    } else if (key === 'properties' && isRecord(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, isRecord(sub) ? convert(sub, defs, depth + 1) : sub]));
    } else if (key === 'items' && isRecord(value)) {
      out.items = convert(value, defs, depth + 1);
    } else if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      const branches = value.filter(isRecord);
      const nonNull = branches.filter((branch) => branch.type !== 'null');
      if (nonNull.length < branches.length) out.nullable = true;
      if (nonNull.length === 1) Object.assign(out, convert(nonNull[0]!, defs, depth + 1));
      else out.anyOf = nonNull.map((branch) => convert(branch, defs, depth + 1));
    } else if (SCHEMA_KEYS.has(key)) {
      out[key] = value;
    }
  }
  // Gemini refuses `properties: {}` ("should be non-empty for OBJECT type"): an object with none says the same.
  if (isRecord(out.properties) && Object.keys(out.properties).length === 0) delete out.properties;
  // Gemini wants enum values as strings, with a string type.
  if (Array.isArray(out.enum)) {
    out.enum = out.enum.map(String);
    out.type = 'string';
  }
  return out;
}

function withoutRef(schema: Schema): Schema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

/** A JSON Schema (tool parameters, response_format's schema) as Gemini's Schema object. */
export function toGeminiSchema(schema: unknown): Schema {
  if (!isRecord(schema)) return { type: 'object' };
  const defs = { ...(isRecord(schema.definitions) ? schema.definitions : {}), ...(isRecord(schema.$defs) ? schema.$defs : {}) };
  return convert(schema, defs, 0);
}
