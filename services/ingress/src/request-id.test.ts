import { describe, expect, it } from 'vitest';
import { clientRequestIdFrom, newRequestId, requestIdHeaders } from './request-id.js';

describe('ingress: request ids', () => {
  it('ingress: the server id is unguessable and new each time, whatever the client sent', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('ingress: a client id is kept only when it is safe to echo and log', () => {
    expect(clientRequestIdFrom('client-req.42:a_b')).toBe('client-req.42:a_b');
    expect(clientRequestIdFrom('a'.repeat(128))).toBe('a'.repeat(128));
    for (const unsafe of ['', 'a'.repeat(129), 'a b', 'x\r\nset-cookie: y', '<script>', 'é']) expect(clientRequestIdFrom(unsafe)).toBeNull();
    expect(clientRequestIdFrom(['one', 'two'])).toBeNull();
    expect(clientRequestIdFrom(undefined)).toBeNull();
  });

  it("ingress: x-request-id echoes the client's id, else the server's; x-switchyard-request-id is always the server's", () => {
    expect(requestIdHeaders({ id: 'req_1', clientRequestId: 'mine' })).toEqual({ 'x-request-id': 'mine', 'x-switchyard-request-id': 'req_1' });
    expect(requestIdHeaders({ id: 'req_1', clientRequestId: null })).toEqual({ 'x-request-id': 'req_1', 'x-switchyard-request-id': 'req_1' });
  });
});
