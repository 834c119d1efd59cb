import type { ResolveHook } from 'node:module';

/*
 * Module resolution hook for the peer's streaming process only (see
 * ./portkey.ts). @portkey-ai/gateway 1.15.2 on Node 22 fails every streamed
 * chat completion with "TypeError: immutable" (Portkey-AI/gateway issues
 * #1389, #1550): @hono/node-server replaces the global Response with its own
 * lightweight class, which keeps the provider's fetch headers (immutable by
 * the fetch spec) when the gateway wraps the provider's stream, and the
 * gateway then appends its headers to them. This hook hands the gateway
 * ./hono-shim.js instead of @hono/node-server: the same module with
 * `overrideGlobalObjects: false`, so Node's own Response is used.
 */
const PACKAGE = '@hono/node-server';
const SHIM = new URL('./hono-shim.js', import.meta.url);

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const fromShim = context.parentURL?.startsWith(SHIM.href) === true;
  if (specifier !== PACKAGE || fromShim) return nextResolve(specifier, context);
  const real = await nextResolve(specifier, context);
  const url = new URL(SHIM);
  url.searchParams.set('real', real.url);
  return { url: url.href, format: 'module', shortCircuit: true };
};
