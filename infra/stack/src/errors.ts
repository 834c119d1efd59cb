/** A stack that cannot start or that stopped: the message says why, for the user as is. */
export class StackError extends Error {
  override name = 'StackError';
}
