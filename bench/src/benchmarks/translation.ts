import {
  AnthropicStreamTranslator,
  chatRequestToMessages,
  chatResponseToMessage,
  ChatToMessagesStream,
  messagesRequestToChat,
  messageToChatResponse,
} from '@switchyard/providers';
import { fixed, type Section } from '../report.js';

/*
 * What the Anthropic translation (issue 15) adds to a request: the CPU time
 * of the pure transforms, request and response (and a stream's events), in
 * process, without I/O. The network hops and the provider dominate a real
 * call; this is the part the gateway adds on top of the passthrough.
 */

const TOOLS = Array.from({ length: 3 }, (_, i) => ({
  type: 'function',
  function: { name: `tool_${i}`, description: 'Looks something up in a catalogue of things.', parameters: { type: 'object', properties: { query: { type: 'string' }, limit: { type: 'integer' } } } },
}));

function chatBody(turns: number): Record<string, unknown> {
  const messages: Array<Record<string, unknown>> = [{ role: 'system', content: 'You are a helpful assistant. Answer briefly.' }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: `Question ${i}: what does the gateway do with a request that names a wildcard model? `.repeat(4) });
    messages.push({ role: 'assistant', content: `Answer ${i}: it resolves the wildcard to the model named and makes one call. `.repeat(4) });
  }
  messages.push({ role: 'user', content: 'And now?' });
  return { model: 'claude-sonnet-4-5', messages, tools: TOOLS, tool_choice: 'auto', temperature: 0.7, max_tokens: 1024, user: 'bench' };
}

const anthropicReply = {
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'text', text: 'It resolves the wildcard and makes one call. '.repeat(20) },
    { type: 'tool_use', id: 'toolu_1', name: 'tool_0', input: { query: 'wildcards', limit: 5 } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 900, output_tokens: 250, cache_read_input_tokens: 100 },
};

function anthropicEvents(deltas: number): Array<{ event: string; data: string }> {
  const events: Array<[string, unknown]> = [
    ['message_start', { type: 'message_start', message: { id: 'msg_bench', model: 'claude', usage: { input_tokens: 900, output_tokens: 1 } } }],
    ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ];
  for (let i = 0; i < deltas; i++) events.push(['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'word ' } }]);
  events.push(['content_block_stop', { type: 'content_block_stop', index: 0 }], ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: deltas } }], ['message_stop', { type: 'message_stop' }]);
  return events.map(([event, data]) => ({ event, data: JSON.stringify(data) }));
}

function openAIChunks(deltas: number): Array<{ event: undefined; data: string }> {
  const chunks: unknown[] = [{ id: 'c', model: 'gpt', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] }];
  for (let i = 0; i < deltas; i++) chunks.push({ id: 'c', choices: [{ index: 0, delta: { content: 'word ' } }] });
  chunks.push({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }, { id: 'c', choices: [], usage: { prompt_tokens: 900, completion_tokens: deltas, total_tokens: 900 + deltas } });
  return [...chunks.map((chunk) => ({ event: undefined, data: JSON.stringify(chunk) })), { event: undefined, data: '[DONE]' }];
}

/** Median microseconds per run of `work` over `rounds` rounds of `batch` runs. */
function microseconds(work: () => void, batch: number, rounds: number): number {
  for (let i = 0; i < batch; i++) work();
  const timings: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) work();
    timings.push(((performance.now() - started) * 1000) / batch);
  }
  timings.sort((a, b) => a - b);
  return timings[Math.floor(timings.length / 2)]!;
}

export function runTranslation(options: { quick: boolean }): Section {
  const batch = options.quick ? 200 : 2_000;
  const rounds = options.quick ? 5 : 11;
  const rows: Array<Array<string | number>> = [];
  for (const turns of [1, 10, 50]) {
    const chat = chatBody(turns);
    const messages = chatRequestToMessages(chat);
    const bytes = JSON.stringify(chat).length;
    const toAnthropic = microseconds(() => {
      chatRequestToMessages(chat);
      messageToChatResponse(anthropicReply, false);
    }, batch, rounds);
    const toOpenAI = microseconds(() => {
      messagesRequestToChat(messages);
      chatResponseToMessage({ id: 'c', model: 'gpt', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
    }, batch, rounds);
    rows.push([`${1 + 2 * turns + 1} messages, 3 tools (${(bytes / 1024).toFixed(1)} KiB)`, fixed(toAnthropic, 1), fixed(toOpenAI, 1)]);
  }
  const events = anthropicEvents(200);
  const chunks = openAIChunks(200);
  const streamToOpenAI = microseconds(() => {
    const translator = new AnthropicStreamTranslator('bench', false);
    for (const event of events) translator.push(event);
  }, Math.ceil(batch / 10), rounds);
  const streamToAnthropic = microseconds(() => {
    const translator = new ChatToMessagesStream();
    for (const chunk of chunks) translator.push(chunk);
  }, Math.ceil(batch / 10), rounds);
  rows.push(['a 200-delta stream (all events)', fixed(streamToOpenAI, 1), fixed(streamToAnthropic, 1)]);
  return {
    name: 'Anthropic translation (CPU per request, in process)',
    tables: [
      {
        title: 'Median microseconds per request: request transform + response transform',
        columns: ['request', 'chat -> anthropic deployment (µs)', 'messages -> openai deployment (µs)'],
        rows,
        notes: [
          'Pure functions, no I/O: what translation adds on top of the passthrough (which edits the client\'s bytes in place). The stream row is the whole stream: every event parsed and re-serialised once.',
        ],
      },
    ],
    data: { rows },
  };
}
