import * as z from 'zod';
import type { ClientOutput } from '../core/domain/client-calls';
import type { JsonValue } from '../core/domain/canonical-json';
import type { ToolSpec } from '../core/ports/model-backend';
import { LONE_SURROGATE } from '../core/http/request-schemas';

/**
 * Client-side function tools of `POST /v1/responses`
 * (platform.openai.com/docs/guides/function-calling): the functions the
 * client declares in `tools`, which the agent may call and the client runs,
 * and the `function_call_output` input items that bring their outputs back.
 * The agent's own (server-side) tools come from its definition and run in
 * the deployment; other tool types (web_search, file_search, ...) are
 * OpenAI's hosted tools, which this deployment does not have.
 */

/** OpenAI's rule for a function's name: letters, digits, `_` and `-`, 1 to 64. */
export const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** OpenAI's limit of tools in one request. */
export const MAX_FUNCTION_TOOLS = 128;
/** The declarations go to the model with every call of the turn: bounded as its context is, well inside a request body. */
export const MAX_FUNCTION_TOOLS_BYTES = 64 * 1024;
/** Call ids are the model's (Bedrock's `toolUseId`s are far shorter): a longer one answers no call. */
const MAX_CALL_ID_LENGTH = 256;

/** The schema of a function that declares none: it takes an empty object. */
const NO_PARAMETERS: { readonly [key: string]: JsonValue } = { type: 'object', properties: {} };

const functionTool = z.strictObject({
  type: z.literal('function'),
  name: z.string().regex(FUNCTION_NAME_PATTERN, { message: 'must be 1 to 64 letters, digits, "_" or "-"' }),
  description: z.string().nullable().optional(),
  // A JSON Schema, passed to the model as the client wrote it; the client checks the arguments it gets (as the Agents SDK does).
  parameters: z.record(z.string(), z.json()).nullable().optional(),
  // Recorded and echoed; the model backends take no strict mode, so it is not enforced here.
  strict: z.boolean().nullable().optional(),
});

export type FunctionToolBody = z.infer<typeof functionTool>;

function typeOf(input: unknown): unknown {
  return typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : undefined;
}

export const functionToolsSchema = z
  .array(
    z.discriminatedUnion('type', [functionTool], {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? `${typeOf(issue.input) === undefined ? 'a tool without a type' : `${JSON.stringify(typeOf(issue.input))} tools`} are not served: ` +
            'only "function" tools, which the client runs; the agent\'s own tools come from its definition'
          : undefined,
    }),
  )
  .max(MAX_FUNCTION_TOOLS, { message: `may declare at most ${MAX_FUNCTION_TOOLS} functions` })
  .refine((tools) => Buffer.byteLength(JSON.stringify(tools), 'utf8') <= MAX_FUNCTION_TOOLS_BYTES, {
    message: `may be at most ${MAX_FUNCTION_TOOLS_BYTES} bytes of JSON: the declarations go to the model with every call`,
  });

/** `tool_choice`: the model backends take no choice of tool, so only the default is served. */
export const toolChoiceSchema = z.literal('auto', {
  message: 'only "auto" is served: the model backends of this deployment are not told which tool to call ("none", "required" and a named function are refused)',
});

/** `parallel_tool_calls`: a reply may call several functions, and the backends cannot be told otherwise. */
export const parallelToolCallsSchema = z.literal(true, {
  message: 'only true is served: a reply may call several functions at once, and the model backends of this deployment cannot be told otherwise',
});

/** The output of a call the conversation handed to the client, as an input item. */
export const functionCallOutputItem = z.strictObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1, { message: 'must name the call it answers' }).max(MAX_CALL_ID_LENGTH, { message: 'is no call id of this conversation' }),
  output: z
    .string({ message: 'must be a string: the array form (input_text, input_image, input_file) is not served' })
    .refine((text) => !LONE_SURROGATE.test(text), { message: 'must be valid Unicode (it holds a lone surrogate)' }),
  // The Agents SDK sends these back as it received them; an item's id is the API's to give.
  id: z.string().nullable().optional(),
  status: z.literal('completed', { message: 'must be "completed" (or left out): an output is sent once the function has returned' }).nullable().optional(),
});

export type FunctionCallOutputBody = z.infer<typeof functionCallOutputItem>;

/** The client's functions as the model is offered them. */
export function clientToolsOf(tools: readonly FunctionToolBody[] = []): ToolSpec[] {
  return tools.map((tool) => ({ name: tool.name, description: tool.description ?? '', inputSchema: tool.parameters ?? NO_PARAMETERS }));
}

export function clientOutputsOf(items: readonly FunctionCallOutputBody[]): ClientOutput[] {
  return items.map((item) => ({ toolCallId: item.call_id, output: item.output }));
}

/** A function tool as a response echoes it (OpenAI's `FunctionTool`). */
export interface FunctionToolEcho {
  readonly type: 'function';
  readonly name: string;
  readonly description: string | null;
  readonly parameters: { readonly [key: string]: JsonValue } | null;
  readonly strict: boolean | null;
}

export function functionToolEchoes(tools: readonly FunctionToolBody[] = []): FunctionToolEcho[] {
  return tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? null }));
}
