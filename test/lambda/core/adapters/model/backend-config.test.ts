import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { FinalizeHandler, FinalizeRequestMiddleware } from '@smithy/types';
import {
  createModelBackend,
  parseFipsServices,
  parseModelBackendConfig,
  type ModelBackendConfig,
} from '../../../../../lambda/core/adapters/model/backend-config';
import { MODEL_MAX_ATTEMPTS, modelClientConfig } from '../../../../../lambda/core/adapters/model/client-settings';
import { ValidationError } from '../../../../../lambda/core/domain/errors';
import { ENV } from '../../../../../lib/contract/env-names';
import { jsonResponse, startScriptedEndpoint, testClientOptions, type ScriptedEndpoint } from './support/scripted-endpoint';

function refusal(json: string | undefined): ValidationError {
  try {
    parseModelBackendConfig(json);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseModelBackendConfig', () => {
  test.each<[string, ModelBackendConfig]>([
    ['sagemaker', { kind: 'sagemaker', endpointName: 'statehouse-llm', stream: true, maxTokens: 512, temperature: 0.2 }],
    ['sagemaker, minimal', { kind: 'sagemaker', endpointName: 'statehouse-llm' }],
    ['bedrock-converse', { kind: 'bedrock-converse', modelId: 'anthropic.claude-3-haiku-20240307-v1:0', allowInferenceProfile: false, maxTokens: 1024, temperature: 0 }],
  ])('accepts %s', (_case, config) => {
    expect(parseModelBackendConfig(JSON.stringify(config))).toEqual(config);
  });

  test.each([
    ['an unset variable', undefined, 'is not set'],
    ['an empty variable', ' ', 'is not set'],
    ['text that is not JSON', '{kind: sagemaker}', 'is not JSON'],
    ['an unknown kind', JSON.stringify({ kind: 'openai', modelId: 'gpt' }), 'kind'],
    ['the removed bedrock-agent kind', JSON.stringify({ kind: 'bedrock-agent', foundationModel: 'm', instruction: 'Answer.' }), 'kind'],
    ['a missing endpoint name', JSON.stringify({ kind: 'sagemaker' }), 'endpointName'],
    ['an invalid endpoint name', JSON.stringify({ kind: 'sagemaker', endpointName: 'bad_name!' }), 'endpointName: must be a SageMaker endpoint name'],
    ['a misspelt setting', JSON.stringify({ kind: 'bedrock-converse', modelId: 'm', allowInferenceProfiles: true }), 'allowInferenceProfiles'],
    ['a Converse temperature above 1', JSON.stringify({ kind: 'bedrock-converse', modelId: 'm', temperature: 1.5 }), 'temperature'],
    ['a fractional maxTokens', JSON.stringify({ kind: 'sagemaker', endpointName: 'e', maxTokens: 10.5 }), 'maxTokens'],
  ])('refuses %s, naming the variable and the problem', (_case, json, problem) => {
    const error = refusal(json);

    expect(error.field).toBe(ENV.MODEL_BACKEND);
    expect(error.message).toContain(`${ENV.MODEL_BACKEND}: `);
    expect(error.message).toContain(problem);
  });
});

describe('parseFipsServices', () => {
  test('splits the comma list, ignoring blanks and spaces', () => {
    expect(parseFipsServices(' bedrock-runtime, runtime.sagemaker ,,')).toEqual(new Set(['bedrock-runtime', 'runtime.sagemaker']));
  });

  test.each([undefined, ''])('%p means no FIPS hosts', (value) => {
    expect(parseFipsServices(value)).toEqual(new Set());
  });
});

describe('modelClientConfig', () => {
  /** The host a real client would call, read off the signed request instead of sending it. */
  function hostCapture(): { readonly middleware: FinalizeRequestMiddleware<any, any>; host: string } {
    const capture = {
      host: '',
      middleware: (): FinalizeHandler<any, any> => async (args) => {
        capture.host = (args.request as { hostname: string }).hostname;
        throw new Error('captured');
      },
    };
    return capture;
  }

  async function hostOf(service: 'bedrock-runtime' | 'runtime.sagemaker', region: string, fipsServices: Set<string>): Promise<string> {
    const config = modelClientConfig(service, { region, fipsServices, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const capture = hostCapture();
    const step = { step: 'finalizeRequest', priority: 'low' } as const;
    if (service === 'bedrock-runtime') {
      const client = new BedrockRuntimeClient(config);
      client.middlewareStack.add(capture.middleware, step);
      await expect(client.send(new ConverseCommand({ modelId: 'm', messages: [] }))).rejects.toThrow('captured');
      client.destroy();
    } else {
      const client = new SageMakerRuntimeClient(config);
      client.middlewareStack.add(capture.middleware, step);
      await expect(client.send(new InvokeEndpointCommand({ EndpointName: 'e', Body: new Uint8Array() }))).rejects.toThrow('captured');
      client.destroy();
    }
    return capture.host;
  }

  test('uses the -fips host for a service in ENV.FIPS_SERVICES', async () => {
    await expect(hostOf('bedrock-runtime', 'us-gov-west-1', new Set(['bedrock-runtime']))).resolves.toMatch(/^bedrock-runtime-fips\.us-gov-west-1\./);
    await expect(hostOf('runtime.sagemaker', 'us-east-1', new Set(['runtime.sagemaker']))).resolves.toMatch(/^runtime-fips\.sagemaker\.us-east-1\./);
  });

  test('uses the standard host for a service not listed', async () => {
    await expect(hostOf('bedrock-runtime', 'us-gov-west-1', new Set(['runtime.sagemaker']))).resolves.toMatch(/^bedrock-runtime\.us-gov-west-1\./);
    await expect(hostOf('runtime.sagemaker', 'us-gov-west-1', new Set(['bedrock-runtime']))).resolves.toMatch(/^runtime\.sagemaker\.us-gov-west-1\./);
  });

  test('retries in standard mode with the documented number of attempts', async () => {
    const client = new BedrockRuntimeClient(modelClientConfig('bedrock-runtime', { region: 'us-east-1', fipsServices: new Set() }));

    await expect(client.config.maxAttempts()).resolves.toBe(MODEL_MAX_ATTEMPTS);
    await expect(client.config.retryStrategy()).resolves.toMatchObject({ mode: 'standard' });
    client.destroy();
  });
});

describe('createModelBackend', () => {
  let scripted: ScriptedEndpoint;

  beforeEach(async () => {
    scripted = await startScriptedEndpoint();
  });

  afterEach(async () => {
    await scripted.stop();
  });

  test('sagemaker: the chat goes to the configured endpoint with its settings', async () => {
    scripted.answer(jsonResponse({ choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 3, completion_tokens: 1 } }));
    const backend = createModelBackend(
      parseModelBackendConfig(JSON.stringify({ kind: 'sagemaker', endpointName: 'statehouse-llm', maxTokens: 64 })),
      testClientOptions(scripted.endpoint),
    );

    await expect(backend.chat([{ role: 'user', content: 'Hi' }])).resolves.toEqual({ text: 'ok', toolCalls: [], usage: { input: 3, output: 1 } });
    expect(scripted.requests[0].path).toBe('/endpoints/statehouse-llm/invocations');
    expect(scripted.jsonBody(0)).toMatchObject({ max_tokens: 64 });
  });

  test('bedrock-converse: the chat goes to the configured model', async () => {
    scripted.answer(jsonResponse({ output: { message: { role: 'assistant', content: [{ text: 'ok' }] } }, usage: { inputTokens: 3, outputTokens: 1 } }));
    const backend = createModelBackend(
      parseModelBackendConfig(JSON.stringify({ kind: 'bedrock-converse', modelId: 'amazon.nova-lite-v1:0', temperature: 0 })),
      testClientOptions(scripted.endpoint),
    );

    await expect(backend.chat([{ role: 'user', content: 'Hi' }])).resolves.toEqual({ text: 'ok', toolCalls: [], usage: { input: 3, output: 1 } });
    expect(scripted.requests[0].path).toBe('/model/amazon.nova-lite-v1:0/converse');
    expect(scripted.jsonBody(0)).toMatchObject({ inferenceConfig: { temperature: 0 } });
  });

  test('an inference profile without allowInferenceProfile fails at start-up, not at the first turn', () => {
    const modelId = 'us-gov.anthropic.claude-3-haiku-20240307-v1:0';
    const options = testClientOptions(scripted.endpoint);

    expect(() => createModelBackend({ kind: 'bedrock-converse', modelId }, options)).toThrow(ValidationError);
    expect(() => createModelBackend({ kind: 'bedrock-converse', modelId, allowInferenceProfile: true }, options)).not.toThrow();
  });
});
