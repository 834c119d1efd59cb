/**
 * Field paths as an operator reads them in an error: `model_list[2].litellm_params.model`.
 * Keys that are not plain identifiers (an alias such as `gpt-3.5-turbo`) are quoted
 * so the path still points at exactly one place in the file.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** Problems found in one file, collected so the operator sees all of them at once. */
export class Problems {
  readonly list: string[] = [];

  add(path: readonly PropertyKey[], message: string): void {
    this.list.push(`${formatPath(path)}: ${message}`);
  }

  addIssues(prefix: readonly PropertyKey[], issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>): void {
    for (const issue of issues) this.add([...prefix, ...issue.path], issue.message);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}
