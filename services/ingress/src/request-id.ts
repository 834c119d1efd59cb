import { randomUUID } from 'node:crypto';

/** Client-supplied ids are echoed only when they cannot inject anything into headers or logs. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  if (typeof header === 'string' && SAFE_REQUEST_ID.test(header)) return header;
  return `req_${randomUUID().replaceAll('-', '')}`;
}
