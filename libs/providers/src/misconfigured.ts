import { Errors, type GatewayError } from '@switchyard/contracts';

/*
 * Its own module so that provider modules (a signer that finds no
 * credentials) can raise it without importing request.ts, which imports
 * every provider.
 */

/** The code of every error that means "fix the config file", never "try again later". */
export const MISCONFIGURED = 'deployment_misconfigured';

export function misconfigured(message: string): GatewayError {
  return Errors.upstreamFailed(message, MISCONFIGURED);
}
