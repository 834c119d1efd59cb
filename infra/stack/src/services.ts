/** The Switchyard services the stack runs, in start order (and reverse stop order of the request path). */
export const SERVICE_NAMES = ['ingress', 'limiter', 'upstream-caller', 'learner', 'keys', 'ledger'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Where each service's replicas listen, relative to the base port: ingress
 * replica i on base+i, limiter on base+100+i, and so on. A service has at most
 * `MAX_REPLICAS` replicas so that the ranges never overlap.
 */
export const PORT_OFFSETS: Readonly<Record<ServiceName, number>> = {
  ingress: 0,
  limiter: 100,
  'upstream-caller': 200,
  learner: 300,
  keys: 400,
  ledger: 500,
};
export const MAX_REPLICAS = 100;
export const DEFAULT_BASE_PORT = 4000;

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}

/** `services/<name>/dist/main.js`, relative to the repository root. */
export function entryPath(service: ServiceName): string {
  return `services/${service}/dist/main.js`;
}
