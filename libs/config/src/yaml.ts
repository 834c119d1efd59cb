import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node, ScalarTag, Tags, YAMLError } from 'yaml';
import { formatPath } from './path.js';

/**
 * The file as LiteLLM's parser (PyYAML, YAML 1.1) reads it: `20_000` is a
 * number, `yes`/`no`/`on`/`off` are booleans, `2024-02-01` is a date, and a
 * key given twice keeps its last value (reported, since it is usually a slip).
 */
export interface YamlRead {
  value: unknown;
  /** One line per repeated key. */
  warnings: string[];
}

export class YamlProblems extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

const FLOAT = 'tag:yaml.org,2002:float';

/**
 * PyYAML's float: a dot is required (`1.5`, `1.5e+3`, `.5`), so `1e5` and
 * `e500` stay strings there; the yaml package's YAML 1.1 floats would read
 * `e500` (a model name) as NaN. Infinity/NaN and sexagesimal keep its tags.
 */
const pyYamlFloat: ScalarTag = {
  identify: (value) => typeof value === 'number',
  default: true,
  tag: FLOAT,
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?)$/,
  resolve: (text) => parseFloat(text.replace(/_/g, '')),
};

function pyYamlTags(tags: Tags): Tags {
  // Keep the .inf/.nan and the sexagesimal (`1:30.5`) floats; replace the decimal and exponent ones.
  const kept = tags.filter((tag) => {
    if (typeof tag !== 'object' || tag.tag !== FLOAT) return true;
    const source = (tag as ScalarTag).test?.source ?? '';
    return source.includes('inf') || source.includes('(?::[0-5]');
  });
  return [...kept, pyYamlFloat];
}

export function readLiteLLMYaml(text: string): YamlRead {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, lineCounter, customTags: pyYamlTags });
  if (doc.errors.length > 0) throw new YamlProblems(doc.errors.map(yamlProblem));
  const warnings: string[] = [];
  findRepeatedKeys(doc.contents, [], lineCounter, warnings);
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), warnings };
  } catch (error) {
    // toJS fails on alias bombs and the like, after a clean parse.
    throw new YamlProblems([`invalid YAML: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

function findRepeatedKeys(node: Node | null, path: PropertyKey[], lines: LineCounter, out: string[]): void {
  if (isSeq(node)) {
    node.items.forEach((item, i) => findRepeatedKeys(item as Node, [...path, i], lines, out));
    return;
  }
  if (!isMap(node)) return;
  const seen = new Map<string, number>();
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : null;
    const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : null;
    if (key !== null) {
      const first = seen.get(key);
      if (first !== undefined) {
        out.push(`${formatPath([...path, key])}: given twice (lines ${first} and ${line}); the last value is used, as LiteLLM does`);
      } else {
        seen.set(key, line ?? 0);
      }
    }
    findRepeatedKeys(pair.value as Node, key === null ? path : [...path, key], lines, out);
  }
}

function yamlProblem(error: YAMLError): string {
  // The message ends with an excerpt of the file, which may hold an inline
  // key: keep only its first line, without the position it repeats.
  const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const at = error.linePos?.[0];
  return at === undefined ? `invalid YAML: ${message}` : `line ${at.line}, column ${at.col}: invalid YAML: ${message}`;
}
