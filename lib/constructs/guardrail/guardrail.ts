import { createHash } from 'node:crypto';
import { Duration, Lazy, Stack, Token, type RemovalPolicy } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import type { GuardrailBinding } from '../../contract/agent';
import { canonicalJson } from '../../contract/json';
import { requireCapability } from '../../residency/capability-gate';
import { mergeProps } from '../merge-props';
import {
  APPLY_ACTIONS,
  APPLY_KEY_ACTIONS,
  BLOCKED_INPUT_MESSAGE,
  BLOCKED_OUTPUT_MESSAGE,
  DEFAULT_CONTENT_FILTERS,
  DEFAULT_PII_ENTITIES,
  GUARDRAIL_REMOVAL_POLICY,
} from './guardrail-defaults';
import { ContentFilterType, FilterStrength, type ContentFilter, type DeniedTopic, type PiiEntity } from './guardrail-policies';

/** A Bedrock guardrail's published version, created here or imported with `Guardrail.fromGuardrailAttributes`. */
export interface IGuardrail extends IConstruct {
  readonly guardrailId: string;
  /** `arn:<partition>:bedrock:<region>:<account>:guardrail/<id>`: what ApplyGuardrail is authorized on. */
  readonly guardrailArn: string;
  /** The published version functions apply (never DRAFT: a draft changes under a running turn). */
  readonly guardrailVersion: string;
  /** SC-28: the key of its configuration; callers that apply it need to decrypt with it. @default none */
  readonly encryptionKey?: kms.IKey;
  /** What an agent declares to be checked by this guardrail (lib/contract/agent.ts). */
  readonly binding: GuardrailBinding;
  /** `bedrock:ApplyGuardrail` on exactly this guardrail, and `kms:Decrypt` on its key. */
  grantApply(grantee: iam.IGrantable): iam.Grant;
  /** ApplyGuardrail calls of this version where the guardrail intervened (blocked or masked). */
  metricInvocationsIntervened(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricInvocationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** A guardrail deployed elsewhere, in this stack's account and region. */
export interface GuardrailAttributes {
  readonly guardrailId: string;
  readonly guardrailVersion: string;
  /** @default none: its configuration is under an AWS-owned key, so callers need no key grant */
  readonly encryptionKey?: kms.IKey;
}

/** Grants and metrics need only the id, the version and the key, so an imported guardrail has them too. */
abstract class GuardrailBase extends Construct implements IGuardrail {
  public abstract readonly guardrailId: string;
  public abstract readonly guardrailVersion: string;
  public abstract readonly encryptionKey?: kms.IKey;

  public get guardrailArn(): string {
    return Stack.of(this).formatArn({ service: 'bedrock', resource: 'guardrail', resourceName: this.guardrailId });
  }

  public get binding(): GuardrailBinding {
    return { guardrailIdentifier: this.guardrailId, guardrailVersion: this.guardrailVersion };
  }

  /** AC-6: the one action, on this guardrail only (its ARN covers every version), and decryption with its key only. */
  public grantApply(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: APPLY_ACTIONS, resourceArns: [this.guardrailArn] });
    if (this.encryptionKey) iam.Grant.addToPrincipal({ grantee, actions: APPLY_KEY_ACTIONS, resourceArns: [this.encryptionKey.keyArn] });
    return grant;
  }

  public metricInvocationsIntervened(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InvocationsIntervened', 'Sum', props);
  }

  public metricInvocationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InvocationLatency', 'Average', props);
  }

  /** docs.aws.amazon.com/bedrock/latest/userguide/monitoring-guardrails-cw-metrics.html: namespace, metric and dimension names. */
  private metric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Bedrock/Guardrails',
      metricName,
      dimensionsMap: { GuardrailArn: this.guardrailArn, GuardrailVersion: this.guardrailVersion },
      statistic,
      period: Duration.minutes(1),
      ...props,
    });
  }
}

export interface GuardrailProps {
  /** Physical name, unique in the account and region: 1 to 50 letters, digits, `-` and `_`. */
  readonly guardrailName: string;
  /** SC-28: the key that encrypts the guardrail's configuration (the platform's data key). */
  readonly encryptionKey: kms.IKey;
  /** @default none */
  readonly description?: string;
  /** What the user is told when their message is blocked (1 to 500 characters). @default BLOCKED_INPUT_MESSAGE */
  readonly blockedInputMessage?: string;
  /** What replaces a blocked reply (1 to 500 characters). @default BLOCKED_OUTPUT_MESSAGE */
  readonly blockedOutputMessage?: string;
  /** One filter per category; an empty list turns content filtering off. @default DEFAULT_CONTENT_FILTERS */
  readonly contentFilters?: readonly ContentFilter[];
  /** At most 30. @default none */
  readonly deniedTopics?: readonly DeniedTopic[];
  /** One action per entity type; an empty list turns the sensitive-information policy off. @default DEFAULT_PII_ENTITIES */
  readonly piiEntities?: readonly PiiEntity[];
  /**
   * Your own L1 settings (word filters, regexes, contextual grounding),
   * merged over what the props above produce. The name and the key are the
   * construct's and always win; a cross-Region profile, and the Standard
   * tier that needs one, are refused (residency).
   * @default none
   */
  readonly guardrailProps?: Partial<bedrock.CfnGuardrailProps>;
  /**
   * The published version's description (at most 160 characters). A digest
   * of the configuration is appended, so a changed configuration publishes a
   * new version on deploy; a change made with `addPropertyOverride` is not in
   * the digest: change this text to publish it.
   * @default 'Published by Statehouse'
   */
  readonly versionDescription?: string;
  /** @default GUARDRAIL_REMOVAL_POLICY (RETAIN), for the guardrail and its versions */
  readonly removalPolicy?: RemovalPolicy;
}

const NAME = /^[0-9a-zA-Z_-]{1,50}$/;
const TOPIC_NAME = /^[0-9a-zA-Z-_ !?.]{1,100}$/;
/** Classic tier (docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html). */
const TOPIC_DEFINITION_MAX = 200;
const MAX_TOPICS = 30;
const DEFAULT_VERSION_DESCRIPTION = 'Published by Statehouse';

/**
 * A Bedrock guardrail (AWS::Bedrock::Guardrail) under the platform's key,
 * and its published version (AWS::Bedrock::GuardrailVersion), which the
 * functions apply with ApplyGuardrail to every text of a turn, whatever the
 * model backend (lambda/core/domain/guard.ts).
 *
 * Defaults (guardrail-defaults.ts): every content filter at HIGH, prompt
 * attacks on input, government identifiers and secrets blocked, e-mail and
 * phone anonymized, neutral blocked messages, RETAIN. Guardrails run in both
 * GovCloud regions; the CloudFormation types there are unverified (synth warns).
 */
export class Guardrail extends GuardrailBase {
  public static fromGuardrailAttributes(scope: Construct, id: string, attrs: GuardrailAttributes): IGuardrail {
    class Imported extends GuardrailBase {
      public readonly guardrailId = attrs.guardrailId;
      public readonly guardrailVersion = attrs.guardrailVersion;
      public readonly encryptionKey = attrs.encryptionKey;
    }
    return new Imported(scope, id);
  }

  public readonly guardrailId: string;
  public readonly guardrailVersion: string;
  public readonly encryptionKey: kms.IKey;
  /** The guardrail's working draft, as CloudFormation holds it. */
  public readonly resource: bedrock.CfnGuardrail;
  /** The version this construct published from it. */
  public readonly version: bedrock.CfnGuardrailVersion;

  constructor(scope: Construct, id: string, props: GuardrailProps) {
    super(scope, id);
    requireCapability(this, 'bedrock:guardrails', 'the guardrail (ApplyGuardrail)');
    requireCapability(this, 'cloudformation:AWS::Bedrock::Guardrail', 'the guardrail');
    requireCapability(this, 'cloudformation:AWS::Bedrock::GuardrailVersion', "the guardrail's published version");
    validateProps(props);
    this.encryptionKey = props.encryptionKey;

    this.resource = new bedrock.CfnGuardrail(
      this,
      'Resource',
      mergeProps<bedrock.CfnGuardrailProps>(policyProps(props), props.guardrailProps, {
        name: props.guardrailName,
        // SC-28: the configuration (topics, messages, patterns) under the agency's key.
        kmsKeyArn: props.encryptionKey.keyArn,
      }),
    );
    const removalPolicy = props.removalPolicy ?? GUARDRAIL_REMOVAL_POLICY;
    this.resource.applyRemovalPolicy(removalPolicy);

    const resource = this.resource;
    const description = props.versionDescription ?? DEFAULT_VERSION_DESCRIPTION;
    this.version = new bedrock.CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: resource.attrGuardrailId,
      // The version is immutable and its description replaces it: a new digest publishes a new version.
      description: Lazy.string({ produce: () => `${description} (configuration ${configurationDigest(resource)})` }),
    });
    this.version.applyRemovalPolicy(removalPolicy);
    this.guardrailId = resource.attrGuardrailId;
    this.guardrailVersion = this.version.attrVersion;
  }
}

/** The typed props as L1 properties: the layer the user's `guardrailProps` is merged over. */
function policyProps(props: GuardrailProps): bedrock.CfnGuardrailProps {
  const filters = props.contentFilters ?? DEFAULT_CONTENT_FILTERS;
  const topics = props.deniedTopics ?? [];
  const entities = props.piiEntities ?? DEFAULT_PII_ENTITIES;
  return {
    name: props.guardrailName,
    blockedInputMessaging: props.blockedInputMessage ?? BLOCKED_INPUT_MESSAGE,
    blockedOutputsMessaging: props.blockedOutputMessage ?? BLOCKED_OUTPUT_MESSAGE,
    ...(props.description === undefined ? {} : { description: props.description }),
    ...(filters.length === 0
      ? {}
      : { contentPolicyConfig: { filtersConfig: filters.map((f) => ({ type: f.type.name, inputStrength: f.inputStrength, outputStrength: f.outputStrength })) } }),
    ...(topics.length === 0
      ? {}
      : {
          topicPolicyConfig: {
            topicsConfig: topics.map((t) => ({ name: t.name, definition: t.definition, type: 'DENY', ...(t.examples ? { examples: [...t.examples] } : {}) })),
          },
        }),
    ...(entities.length === 0
      ? {}
      : {
          sensitiveInformationPolicyConfig: {
            piiEntitiesConfig: entities.map((e) => ({
              type: e.type.name,
              action: e.action,
              ...(e.inputAction === undefined ? {} : { inputAction: e.inputAction }),
              ...(e.outputAction === undefined ? {} : { outputAction: e.outputAction }),
            })),
          },
        }),
  };
}

/** What the guardrail checks, as CloudFormation will hold it, hashed: the part of the version's description that changes with it. */
function configurationDigest(resource: bedrock.CfnGuardrail): string {
  const configuration = {
    automatedReasoningPolicyConfig: resource.automatedReasoningPolicyConfig,
    blockedInputMessaging: resource.blockedInputMessaging,
    blockedOutputsMessaging: resource.blockedOutputsMessaging,
    contentPolicyConfig: resource.contentPolicyConfig,
    contextualGroundingPolicyConfig: resource.contextualGroundingPolicyConfig,
    kmsKeyArn: resource.kmsKeyArn,
    sensitiveInformationPolicyConfig: resource.sensitiveInformationPolicyConfig,
    topicPolicyConfig: resource.topicPolicyConfig,
    wordPolicyConfig: resource.wordPolicyConfig,
  };
  return createHash('sha256').update(canonicalJson(Stack.of(resource).resolve(configuration))).digest('hex').slice(0, 16);
}

function fail(prop: string, problem: string): never {
  throw new Error(`Guardrail: ${prop} ${problem}`);
}

function checkLength(prop: string, value: string | undefined, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.length < 1 || value.length > max) fail(prop, `must be 1 to ${max} characters (got ${value.length}); shorten it.`);
}

function checkUnique(prop: string, names: readonly string[]): void {
  const twice = names.filter((name, index) => names.indexOf(name) !== index);
  if (twice.length > 0) fail(prop, `lists ${JSON.stringify(twice[0])} twice; give each one entry.`);
}

function validateProps(props: GuardrailProps): void {
  if (!Token.isUnresolved(props.guardrailName) && !NAME.test(props.guardrailName)) {
    fail('guardrailName', `"${props.guardrailName}" is not allowed: use 1 to 50 letters, digits, "-" and "_".`);
  }
  checkLength('description', props.description, 200);
  checkLength('blockedInputMessage', props.blockedInputMessage, 500);
  checkLength('blockedOutputMessage', props.blockedOutputMessage, 500);
  checkLength('versionDescription', props.versionDescription, 160);

  const filters = props.contentFilters ?? [];
  checkUnique('contentFilters', filters.map((f) => f.type.name));
  const promptAttack = filters.find((f) => f.type.name === ContentFilterType.PROMPT_ATTACK.name);
  if (promptAttack && promptAttack.outputStrength !== FilterStrength.NONE) {
    fail('contentFilters', `sets PROMPT_ATTACK's outputStrength to ${promptAttack.outputStrength}; prompt attacks are judged on input only: set it to FilterStrength.NONE.`);
  }
  checkUnique('piiEntities', (props.piiEntities ?? []).map((e) => e.type.name));

  const topics = props.deniedTopics ?? [];
  if (topics.length > MAX_TOPICS) fail('deniedTopics', `has ${topics.length} topics; at most ${MAX_TOPICS} are allowed.`);
  checkUnique('deniedTopics', topics.map((t) => t.name));
  for (const topic of topics) {
    if (!Token.isUnresolved(topic.name) && !TOPIC_NAME.test(topic.name)) {
      fail('deniedTopics', `has the name "${topic.name}": use 1 to 100 letters, digits, spaces and "-_!?.".`);
    }
    checkLength(`deniedTopics "${topic.name}" definition`, topic.definition, TOPIC_DEFINITION_MAX);
    if ((topic.examples ?? []).length > 5) fail(`deniedTopics "${topic.name}" examples`, `has ${topic.examples!.length} entries; at most 5 are allowed.`);
    for (const example of topic.examples ?? []) checkLength(`deniedTopics "${topic.name}" examples`, example, 100);
  }

  const overrides = props.guardrailProps ?? {};
  if (overrides.crossRegionConfig !== undefined) {
    fail(
      'guardrailProps.crossRegionConfig',
      'is set; a guardrail profile routes evaluations to other regions, which residency does not allow. Remove it: the guardrail evaluates in its own region.',
    );
  }
  const tiers = JSON.stringify([overrides.contentPolicyConfig, overrides.topicPolicyConfig]);
  if (/"tierName":"STANDARD"/.test(tiers)) {
    fail(
      'guardrailProps',
      'asks for the STANDARD tier, which requires cross-Region inference (docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html). Use the CLASSIC tier (the default).',
    );
  }
}
