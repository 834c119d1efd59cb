export declare function findSpec(env?: Record<string, string | undefined>): string;
/**
 * A streamed completion's chunk. The spec says a completions stream is made
 * of CreateCompletionResponse objects, but OpenAI's own streams send
 * `"finish_reason": null` on every chunk before the last, which that schema
 * does not allow; this is that schema with a null finish_reason allowed, and
 * nothing else changed.
 */
declare const COMPLETION_CHUNK = "CreateCompletionStreamChunk";
export type SchemaName = typeof COMPLETION_CHUNK | 'CreateChatCompletionResponse' | 'CreateChatCompletionStreamResponse' | 'CreateCompletionResponse' | 'CreateEmbeddingResponse' | 'ListModelsResponse' | 'Model' | 'ErrorResponse' | 'Response' | `Response${string}Event`;
export interface Conformance {
    /** The problems of `value` against the component schema, as "path: message" lines; empty when it conforms. */
    problems(schema: SchemaName, value: unknown): string[];
}
/** The spec's component schemas as validators (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
export declare function loadConformance(path?: string): Conformance;
export {};
//# sourceMappingURL=openapi.d.ts.map