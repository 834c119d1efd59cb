/*
 * The request checks of the Bedrock mock, following the Bedrock Runtime API
 * reference (Converse, InvokeModel with Titan and Cohere embedding bodies):
 * what Bedrock refuses with a ValidationException (HTTP 400), the mock
 * refuses with the same shape.
 */

export class BedrockRefusal extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const invalid = (message: string): never => {
  throw new BedrockRefusal(400, 'ValidationException', message);
};

const CONVERSE_FIELDS = new Set([
  'messages', 'system', 'inferenceConfig', 'toolConfig', 'guardrailConfig', 'additionalModelRequestFields',
  'promptVariables', 'additionalModelResponseFieldPaths', 'requestMetadata', 'performanceConfig',
]);
const INFERENCE_FIELDS = new Set(['maxTokens', 'temperature', 'topP', 'stopSequences']);
const BLOCK_KINDS = new Set(['text', 'image', 'document', 'video', 'toolUse', 'toolResult', 'guardContent', 'cachePoint', 'reasoningContent']);
const IMAGE_FORMATS = new Set(['png', 'jpeg', 'gif', 'webp']);
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** What the answer is made of: the prompt's size, the last user text, the tools it may call. */
export interface ConversePrompt {
  chars: number;
  lastUserText: string;
  toolNames: string[];
}

/** The one member a Converse union (a content block, a tool choice) must have. */
function member(value: unknown, at: string, kinds: ReadonlySet<string>): [string, unknown] {
  if (!isObject(value)) return invalid(`${at}: expected an object`);
  const keys = Object.keys(value);
  if (keys.length !== 1 || !kinds.has(keys[0]!)) {
    return invalid(`${at}: exactly one of ${[...kinds].join(', ')} must be set (got ${keys.join(', ') || 'none'})`);
  }
  return [keys[0]!, value[keys[0]!]];
}

function checkBlock(block: unknown, at: string, prompt: ConversePrompt, role: string): { toolUse?: string; toolResult?: string } {
  const [kind, value] = member(block, at, BLOCK_KINDS);
  if (kind === 'text') {
    if (typeof value !== 'string' || value.trim() === '') invalid(`The text field in the ContentBlock object at ${at} is blank. Add text to the text field, and try again.`);
    prompt.chars += (value as string).length;
    if (role === 'user') prompt.lastUserText = value as string;
    return {};
  }
  if (kind === 'image') {
    const image = isObject(value) ? value : invalid(`${at}.image: expected an object`);
    if (!IMAGE_FORMATS.has(String(image.format))) invalid(`${at}.image.format: must be one of png, jpeg, gif, webp`);
    const source = isObject(image.source) ? image.source : invalid(`${at}.image.source: required`);
    if (typeof source.bytes !== 'string' || !BASE64.test(source.bytes) || source.bytes === '') invalid(`${at}.image.source.bytes: must be base64 image bytes`);
    return {};
  }
  if (kind === 'toolUse') {
    const use = isObject(value) ? value : invalid(`${at}.toolUse: expected an object`);
    if (role !== 'assistant') invalid(`${at}: toolUse blocks are only allowed in assistant messages`);
    if (typeof use.toolUseId !== 'string' || typeof use.name !== 'string' || !isObject(use.input)) invalid(`${at}.toolUse: toolUseId, name and an object input are required`);
    prompt.chars += JSON.stringify(use.input).length;
    return { toolUse: use.toolUseId as string };
  }
  if (kind === 'toolResult') {
    const result = isObject(value) ? value : invalid(`${at}.toolResult: expected an object`);
    if (role !== 'user') invalid(`${at}: toolResult blocks are only allowed in user messages`);
    if (typeof result.toolUseId !== 'string') invalid(`${at}.toolResult.toolUseId: required`);
    if (!Array.isArray(result.content)) invalid(`${at}.toolResult.content: required`);
    (result.content as unknown[]).forEach((part, i) => {
      const [partKind, partValue] = member(part, `${at}.toolResult.content.${i}`, new Set(['text', 'json', 'image', 'document', 'video']));
      if (partKind === 'text' && typeof partValue !== 'string') invalid(`${at}.toolResult.content.${i}.text: must be a string`);
      prompt.chars += JSON.stringify(partValue).length;
    });
    if (result.status !== undefined && result.status !== 'success' && result.status !== 'error') invalid(`${at}.toolResult.status: must be success or error`);
    return { toolResult: result.toolUseId as string };
  }
  return {};
}

function checkMessages(messages: unknown, prompt: ConversePrompt): boolean {
  if (!Array.isArray(messages) || messages.length === 0) return invalid('messages: at least one message is required');
  let pending: string[] = [];
  let usesTools = false;
  messages.forEach((message, i) => {
    if (!isObject(message)) invalid(`messages.${i}: expected an object`);
    const m = message as Json;
    for (const key of Object.keys(m)) if (key !== 'role' && key !== 'content') invalid(`messages.${i}: unknown field ${key}`);
    if (m.role !== 'user' && m.role !== 'assistant') invalid(`messages.${i}.role: must be user or assistant`);
    if (i === 0 && m.role !== 'user') invalid('A conversation must start with a user message. Try again with a conversation that starts with a user message.');
    if (i > 0 && (messages[i - 1] as Json).role === m.role) {
      invalid('A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.');
    }
    if (!Array.isArray(m.content) || m.content.length === 0) invalid(`messages.${i}.content: at least one content block is required`);
    const uses: string[] = [];
    const results: string[] = [];
    (m.content as unknown[]).forEach((block, j) => {
      const found = checkBlock(block, `messages.${i}.content.${j}`, prompt, String(m.role));
      if (found.toolUse !== undefined) uses.push(found.toolUse);
      if (found.toolResult !== undefined) results.push(found.toolResult);
    });
    usesTools ||= uses.length > 0 || results.length > 0;
    const unanswered = pending.filter((id) => !results.includes(id));
    if (unanswered.length > 0) invalid(`messages.${i}: Expected toolResult blocks at messages.${i}.content for the following Ids: ${unanswered.join(', ')}`);
    const unknown = results.filter((id) => !pending.includes(id));
    if (unknown.length > 0) invalid(`messages.${i}: toolResult blocks at messages.${i}.content answer no toolUse of the previous turn: ${unknown.join(', ')}`);
    pending = uses;
  });
  return usesTools;
}

function checkToolConfig(config: unknown, prompt: ConversePrompt): void {
  const tools = isObject(config) ? config : invalid('toolConfig: expected an object');
  for (const key of Object.keys(tools)) if (key !== 'tools' && key !== 'toolChoice') invalid(`toolConfig: unknown field ${key}`);
  if (!Array.isArray(tools.tools) || tools.tools.length === 0) invalid('toolConfig.tools: at least one tool is required');
  (tools.tools as unknown[]).forEach((tool, i) => {
    const [kind, value] = member(tool, `toolConfig.tools.${i}`, new Set(['toolSpec', 'cachePoint']));
    if (kind !== 'toolSpec') return;
    const spec = isObject(value) ? value : invalid(`toolConfig.tools.${i}.toolSpec: expected an object`);
    if (typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) invalid(`toolConfig.tools.${i}.toolSpec.name: must match [a-zA-Z0-9_-]{1,64}`);
    if (spec.description !== undefined && (typeof spec.description !== 'string' || spec.description === '')) invalid(`toolConfig.tools.${i}.toolSpec.description: must be non-empty`);
    if (!isObject(spec.inputSchema) || !isObject(spec.inputSchema.json)) invalid(`toolConfig.tools.${i}.toolSpec.inputSchema.json: required`);
    prompt.toolNames.push(spec.name as string);
    prompt.chars += JSON.stringify(spec).length;
  });
  if (tools.toolChoice !== undefined) {
    const [kind, value] = member(tools.toolChoice, 'toolConfig.toolChoice', new Set(['auto', 'any', 'tool']));
    if (kind === 'tool' && (!isObject(value) || !prompt.toolNames.includes(String(value.name)))) invalid('toolConfig.toolChoice.tool.name: names no tool of toolConfig.tools');
  }
}

function checkInference(config: unknown): void {
  const inference = isObject(config) ? config : invalid('inferenceConfig: expected an object');
  for (const key of Object.keys(inference)) if (!INFERENCE_FIELDS.has(key)) invalid(`inferenceConfig: unknown field ${key}`);
  if (inference.maxTokens !== undefined && (!Number.isInteger(inference.maxTokens) || (inference.maxTokens as number) < 1)) invalid('inferenceConfig.maxTokens: must be an integer >= 1');
  for (const key of ['temperature', 'topP'] as const) {
    const value = inference[key];
    if (value !== undefined && (typeof value !== 'number' || value < 0 || value > 1)) invalid(`inferenceConfig.${key}: must be between 0 and 1`);
  }
  const stops = inference.stopSequences;
  if (stops !== undefined && (!Array.isArray(stops) || stops.length > 2500 || stops.some((s) => typeof s !== 'string' || s === ''))) invalid('inferenceConfig.stopSequences: must be non-empty strings');
}

export function checkConverse(body: Json): ConversePrompt {
  for (const key of Object.keys(body)) if (!CONVERSE_FIELDS.has(key)) invalid(`Malformed input request: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
  const prompt: ConversePrompt = { chars: 0, lastUserText: '', toolNames: [] };
  if (body.system !== undefined) {
    if (!Array.isArray(body.system)) invalid('system: expected a list');
    (body.system as unknown[]).forEach((block, i) => {
      const [kind, value] = member(block, `system.${i}`, new Set(['text', 'cachePoint', 'guardContent']));
      if (kind === 'text' && (typeof value !== 'string' || value.trim() === '')) invalid(`system.${i}.text: must be non-blank`);
      if (kind === 'text') prompt.chars += (value as string).length;
    });
  }
  if (body.inferenceConfig !== undefined) checkInference(body.inferenceConfig);
  if (body.toolConfig !== undefined) checkToolConfig(body.toolConfig, prompt);
  const usesTools = checkMessages(body.messages, prompt);
  if (usesTools && body.toolConfig === undefined) invalid('The toolConfig field must be defined when using toolUse and toolResult content blocks.');
  return prompt;
}

/** An InvokeModel body of an embedding model: the texts it embeds. */
export function checkEmbeddingBody(modelId: string, body: Json): string[] {
  const extraneous = (allowed: readonly string[]) => {
    for (const key of Object.keys(body)) if (!allowed.includes(key)) invalid(`Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
  };
  if (modelId.startsWith('amazon.titan-embed-text-v2')) {
    extraneous(['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
    if (body.dimensions !== undefined && ![256, 512, 1024].includes(body.dimensions as number)) invalid('Malformed input request: #/dimensions: 256, 512 or 1024');
  } else if (modelId.startsWith('amazon.titan-embed-text-v1')) {
    extraneous(['inputText']);
  } else if (modelId.startsWith('cohere.embed')) {
    extraneous(['texts', 'images', 'input_type', 'truncate', 'embedding_types', 'output_dimension', 'max_tokens']);
    if (!Array.isArray(body.texts) || body.texts.length === 0 || body.texts.length > 96 || body.texts.some((t) => typeof t !== 'string')) {
      invalid('Malformed input request: #/texts: expected 1 to 96 strings');
    }
    if (!['search_document', 'search_query', 'classification', 'clustering'].includes(String(body.input_type))) invalid('Malformed input request: #/input_type: required');
    return body.texts as string[];
  } else {
    invalid(`The provided model identifier is invalid: ${modelId} is not an embedding model`);
  }
  if (typeof body.inputText !== 'string' || body.inputText === '') invalid('Malformed input request: #: required key [inputText] not found');
  return [body.inputText as string];
}
