/*
 * Stands in for @hono/node-server in the peer's streaming process (see
 * ./hooks.ts): the real module, found at the URL the hook passes in `?real=`,
 * with `overrideGlobalObjects: false` on every server it creates.
 */

interface HonoNodeServer {
  serve(options: Record<string, unknown>, listener?: (info: unknown) => void): unknown;
  createAdaptorServer(options: Record<string, unknown>): unknown;
  getRequestListener: unknown;
  RequestError: unknown;
}

const realUrl = new URL(import.meta.url).searchParams.get('real');
if (!realUrl) throw new Error('hono-shim: loaded without ?real=<module URL>');
const real = (await import(realUrl)) as HonoNodeServer;

export const serve = (options: Record<string, unknown>, listener?: (info: unknown) => void): unknown =>
  real.serve({ ...options, overrideGlobalObjects: false }, listener);
export const createAdaptorServer = (options: Record<string, unknown>): unknown =>
  real.createAdaptorServer({ ...options, overrideGlobalObjects: false });
export const getRequestListener = real.getRequestListener;
export const RequestError = real.RequestError;
