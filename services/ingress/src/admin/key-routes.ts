import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Secret } from '@switchyard/config';
import { BlockKeyRequest, DeleteKeyRequest, GenerateKeyRequest, UpdateKeyRequest } from '@switchyard/contracts';
import { customKeyProblem, hashKey, keyHashOf, keyNameOf, keyScope, newVirtualKey } from '@switchyard/virtual-keys';
import type { ParsedBody } from '../proxy.js';
import type { KeysClient } from './keys-client.js';
import { invalidBody, litellmError } from './litellm-error.js';
import type { LedgerClient } from './ledger-client.js';
import { withRecordedSpend } from './spend-fill.js';

export function bodyOf<T extends z.ZodType>(schema: T, request: FastifyRequest): z.infer<T> {
  const json = (request.body as ParsedBody | undefined)?.json ?? {};
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalidBody(parsed.error);
  return parsed.data;
}

function queryText(request: FastifyRequest, name: string): string | null {
  const value = (request.query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function queryInt(request: FastifyRequest, name: string, fallback: number, max: number): number {
  const text = queryText(request, name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw litellmError(400, `${name}: an integer from 1 to ${max}`, 'bad_request_error', name);
  return value;
}

/**
 * LiteLLM's /key/* routes. The key is made here (or taken from `key`) and
 * shown once, in the /key/generate response; everything else, the keys
 * service included, knows only its hash.
 */
export function registerKeyRoutes(app: FastifyInstance, client: KeysClient, masterKey: Secret | null, ledger: LedgerClient | null = null): void {
  app.post('/key/generate', async (request) => {
    const body = bodyOf(GenerateKeyRequest, request);
    const { key: custom, ...fields } = body;
    if (custom != null) {
      const problem = customKeyProblem(custom);
      if (problem) throw litellmError(400, problem, 'bad_request_error', 'key');
      if (masterKey && hashKey(custom) === hashKey(masterKey.reveal())) throw litellmError(400, 'Key already exists. Choose another custom key.', 'bad_request_error', 'key');
    }
    const key = custom ?? newVirtualKey();
    const created = (await client.call({ op: 'key.generate', keyHash: hashKey(key), keyName: keyNameOf(key), body: fields })) as Record<string, unknown>;
    return { ...created, key };
  });

  app.post('/key/update', async (request) => {
    const body = bodyOf(UpdateKeyRequest, request);
    const { key, ...fields } = body;
    if (key == null && body.key_alias == null) throw litellmError(400, 'either key or key_alias must be provided', 'bad_request_error', 'key');
    // Without `key`, key_alias names the key to update (LiteLLM's rule), so it is not a rename.
    const ref = key != null ? { keyHash: keyHashOf(key), keyAlias: null } : { keyHash: null, keyAlias: body.key_alias! };
    const update = key != null ? fields : { ...fields, key_alias: null };
    const updated = (await client.call({ op: 'key.update', ref, body: update })) as Record<string, unknown>;
    return { ...updated, key: updated.token };
  });

  app.post('/key/delete', async (request) => {
    const body = bodyOf(DeleteKeyRequest, request);
    const keyHashes = (body.keys ?? []).map(keyHashOf);
    const keyAliases = body.key_aliases ?? [];
    if (keyHashes.length === 0 && keyAliases.length === 0) throw litellmError(400, "At least one of 'keys' or 'key_aliases' must be provided.", 'bad_request_error', 'keys');
    return client.call({ op: 'key.delete', keyHashes, keyAliases });
  });

  app.get('/key/info', async (request) => {
    const key = queryText(request, 'key');
    // Without `key`, a virtual key asks about itself (LiteLLM's rule); the master key has no info of its own.
    const own = request.auth.key?.keyHash ?? null;
    if (key === null && own === null) throw litellmError(400, 'Pass the key (or its hash) to look up: /key/info?key=sk-...', 'bad_request_error', 'key');
    const keyHash = key === null ? own! : keyHashOf(key);
    const found = (await client.call({ op: 'key.info', keyHash })) as { info?: Record<string, unknown> };
    const info = found.info === undefined ? undefined : await withRecordedSpend(found.info, keyScope(keyHash), ledger);
    // LiteLLM echoes what it was asked for; only the hash is echoed here, so the key is never shown again.
    return { key: keyHash, ...found, ...(info === undefined ? {} : { info }) };
  });

  app.get('/key/list', async (request) =>
    client.call({
      op: 'key.list',
      page: queryInt(request, 'page', 1, 1_000_000),
      size: queryInt(request, 'size', 10, 100),
      teamId: queryText(request, 'team_id'),
      userId: queryText(request, 'user_id'),
      keyAlias: queryText(request, 'key_alias'),
      fullObjects: queryText(request, 'return_full_object') === 'true',
    }),
  );

  for (const [path, blocked] of [['/key/block', true], ['/key/unblock', false]] as const) {
    app.post(path, async (request) => {
      const { key } = bodyOf(BlockKeyRequest, request);
      return client.call({ op: 'key.block', keyHash: keyHashOf(key), blocked });
    });
  }
}
