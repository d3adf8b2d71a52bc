import type { ChatMessage, ChatOptions, ModelBackend, ModelReply, ToolCall, ToolSpec } from '../../../../lambda/core/ports/model-backend';

/** The one test double the project allows: a model that answers from a script. */
export class ScriptedModel implements ModelBackend {
  /** Every prompt the model was sent, in order. */
  readonly prompts: (readonly ChatMessage[])[] = [];
  /** The tool list sent with each prompt (undefined when none was offered). */
  readonly toolLists: (readonly ToolSpec[] | undefined)[] = [];

  private constructor(private readonly respond: (messages: readonly ChatMessage[], call: number) => ModelReply | Error) {}

  /** Answers with these replies (or throws these errors) in order, then fails the test if called again. */
  static answering(...script: (ModelReply | Error)[]): ScriptedModel {
    return new ScriptedModel((_messages, call) => {
      const step = script[call];
      if (step === undefined) throw new Error(`ScriptedModel: no step ${call + 1} in a script of ${script.length}`);
      return step;
    });
  }

  /** Answers each prompt with `respond(messages, call)`: a script that depends on what the model is sent. */
  static responding(respond: (messages: readonly ChatMessage[], call: number) => ModelReply | Error): ScriptedModel {
    return new ScriptedModel(respond);
  }

  /** Repeats the newest user message back, so concurrent turns can be told apart. */
  static echoing(): ScriptedModel {
    return new ScriptedModel((messages) => {
      const lastUser = [...messages].reverse().find((message) => message.role === 'user');
      return reply(`echo: ${lastUser?.content ?? ''}`);
    });
  }

  async chat(messages: readonly ChatMessage[], tools?: readonly ToolSpec[], options?: ChatOptions): Promise<ModelReply> {
    this.prompts.push(messages);
    this.toolLists.push(tools);
    const step = this.respond(messages, this.prompts.length - 1);
    if (step instanceof Error) throw step;
    // A caller that streams gets the text in pieces, word by word, as a streaming backend sends it.
    if (options?.onText) for (const piece of step.text.match(/\S+\s*|\s+/g) ?? []) options.onText(piece);
    return step;
  }
}

export function reply(text: string, toolCalls: readonly ToolCall[] = [], usage = { input: 10, output: 5 }): ModelReply {
  return { text, toolCalls, usage };
}
