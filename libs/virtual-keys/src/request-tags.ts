import type { RequestTags } from '@switchyard/contracts';

const MAX_END_USER = 256;
const MAX_METADATA_BYTES = 4096;

/**
 * The body's `user` and `metadata` for the spend ledger, bounded as the
 * contract says: a `user` longer than 256 characters and metadata of more
 * than 4 KiB of JSON are left out, never cut (a cut label would be a wrong one).
 */
export function requestTagsOf(body: Readonly<Record<string, unknown>>): RequestTags {
  const endUser = typeof body.user === 'string' && body.user.length > 0 && body.user.length <= MAX_END_USER ? body.user : null;
  let metadata: string | null = null;
  if (body.metadata !== null && typeof body.metadata === 'object' && !Array.isArray(body.metadata)) {
    const text = JSON.stringify(body.metadata);
    metadata = text.length <= MAX_METADATA_BYTES && Buffer.byteLength(text) <= MAX_METADATA_BYTES ? text : null;
  }
  return { endUser, metadata };
}
