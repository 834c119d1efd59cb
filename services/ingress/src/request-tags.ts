import type { RequestTags } from '@switchyard/contracts';

const MAX_END_USER = 256;
const MAX_METADATA_BYTES = 4096;

/**
 * What the ledger records of a request beside its caller: the body's `user`
 * (LiteLLM's end user / customer) and `metadata`, bounded. Labels for
 * reports, never an identity: nothing here authenticates or limits anyone.
 */
export function requestTagsOf(body: Record<string, unknown>): RequestTags {
  const user = body.user;
  const endUser = typeof user === 'string' && user !== '' ? user.slice(0, MAX_END_USER) : null;
  let metadata: string | null = null;
  if (body.metadata !== undefined && body.metadata !== null) {
    const text = JSON.stringify(body.metadata);
    metadata = Buffer.byteLength(text) <= MAX_METADATA_BYTES && text.length <= MAX_METADATA_BYTES ? text : null;
  }
  return { endUser, metadata };
}
