import { describe, expect, it } from 'vitest';
import { GatewayError } from '@switchyard/contracts';
import { deployment } from '../../test/fixtures.js';
import { bedrockToEmbeddingsResponse, embeddingFamily, embeddingsRequestToBedrock } from './embeddings.js';

const on = (model: string, dropParams = false) => deployment({ provider: 'bedrock', providerModel: model, dropParams });

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('providers bedrock: embeddings through InvokeModel', () => {
  it.each([
    ['amazon.titan-embed-text-v1', 'titan-v1'],
    ['amazon.titan-embed-text-v2:0', 'titan-v2'],
    ['cohere.embed-english-v3', 'cohere'],
    ['us.cohere.embed-v4:0', 'cohere'],
    ['amazon.titan-embed-image-v1', null],
    ['anthropic.claude-v2', null],
  ])('providers bedrock: %s is family %s', (model, family) => {
    expect(embeddingFamily(model)).toBe(family);
  });

  it('providers bedrock: Titan takes one inputText (and v2 dimensions); several inputs are a 400', () => {
    expect(embeddingsRequestToBedrock({ model: 'x', input: ['one'], dimensions: 512, encoding_format: 'base64' }, on('amazon.titan-embed-text-v2:0'))).toEqual({ inputText: 'one', dimensions: 512 });
    expect(refusal(() => embeddingsRequestToBedrock({ input: ['a', 'b'] }, on('amazon.titan-embed-text-v2:0'))).param).toBe('input');
    expect(refusal(() => embeddingsRequestToBedrock({ input: 'a', dimensions: 256 }, on('amazon.titan-embed-text-v1'))).param).toBe('dimensions');
    expect(embeddingsRequestToBedrock({ input: 'a', dimensions: 256 }, on('amazon.titan-embed-text-v1', true))).toEqual({ inputText: 'a' });
    expect(refusal(() => embeddingsRequestToBedrock({ input: [1, 2, 3] }, on('amazon.titan-embed-text-v1'))).param).toBe('input');
  });

  it('providers bedrock: Cohere takes every text with input_type (search_document unless the client says), and v4 output_dimension', () => {
    expect(embeddingsRequestToBedrock({ input: ['a', 'b'] }, on('cohere.embed-english-v3'))).toEqual({ texts: ['a', 'b'], input_type: 'search_document' });
    expect(embeddingsRequestToBedrock({ input: 'q', input_type: 'search_query', truncate: 'END', dimensions: 256 }, on('cohere.embed-v4:0'))).toEqual({
      texts: ['q'],
      input_type: 'search_query',
      truncate: 'END',
      output_dimension: 256,
    });
    expect(refusal(() => embeddingsRequestToBedrock({ input: 'q', dimensions: 256 }, on('cohere.embed-multilingual-v3'))).param).toBe('dimensions');
    expect(refusal(() => embeddingsRequestToBedrock({ input: 'q' }, on('amazon.titan-embed-image-v1'))).param).toBe('model');
  });

  it('providers bedrock: answers become OpenAI\'s list, base64 float32 when asked, with Titan\'s count or the token-count header', () => {
    const titan = bedrockToEmbeddingsResponse({ embedding: [0.5, -1], inputTextTokenCount: 3 }, on('amazon.titan-embed-text-v2:0'), true);
    expect(titan.usage).toEqual({ prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 });
    const data = titan.body.data as Array<{ embedding: string; index: number; object: string }>;
    expect(data[0]).toMatchObject({ object: 'embedding', index: 0 });
    const bytes = Buffer.from(data[0]!.embedding, 'base64');
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)]).toEqual([0.5, -1]);

    const cohere = bedrockToEmbeddingsResponse({ embeddings: [[1], [2]], response_type: 'embeddings_floats' }, on('cohere.embed-english-v3'), false, { 'x-amzn-bedrock-input-token-count': '7' });
    expect(cohere.body).toMatchObject({ object: 'list', model: 'cohere.embed-english-v3', data: [{ index: 0, embedding: [1] }, { index: 1, embedding: [2] }], usage: { prompt_tokens: 7, total_tokens: 7 } });
    expect(bedrockToEmbeddingsResponse({ embeddings: { float: [[3]] } }, on('cohere.embed-v4:0'), false).usage).toBeNull();
  });
});
