/**
 * The vocabulary of a guardrail's policies, as AWS::Bedrock::Guardrail
 * spells it (CloudFormation resource schema: ContentFilterType, FilterStrength,
 * PiiEntityType, SensitiveInformationAction). Each choice is a class with
 * the known values and an `of()` for one this kit does not list yet.
 */

/** A category of harmful content the content filters judge. */
export class ContentFilterType {
  public static readonly HATE = new ContentFilterType('HATE');
  public static readonly INSULTS = new ContentFilterType('INSULTS');
  public static readonly SEXUAL = new ContentFilterType('SEXUAL');
  public static readonly VIOLENCE = new ContentFilterType('VIOLENCE');
  public static readonly MISCONDUCT = new ContentFilterType('MISCONDUCT');
  /** Jailbreaks and prompt injection. Evaluated on input only: its output strength must be NONE. */
  public static readonly PROMPT_ATTACK = new ContentFilterType('PROMPT_ATTACK');

  /** A category this class has no member for. */
  public static of(name: string): ContentFilterType {
    return new ContentFilterType(name);
  }

  private constructor(public readonly name: string) {}
}

/** How readily a content filter blocks: HIGH blocks content of low confidence too. */
export enum FilterStrength {
  NONE = 'NONE',
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

export interface ContentFilter {
  readonly type: ContentFilterType;
  /** Applied to user messages and tool results (ApplyGuardrail source INPUT). */
  readonly inputStrength: FilterStrength;
  /** Applied to the model's replies and tool inputs (source OUTPUT). */
  readonly outputStrength: FilterStrength;
}

/** A kind of personally identifiable or secret information the sensitive-information policy finds. */
export class PiiEntityType {
  public static readonly ADDRESS = new PiiEntityType('ADDRESS');
  public static readonly AWS_ACCESS_KEY = new PiiEntityType('AWS_ACCESS_KEY');
  public static readonly AWS_SECRET_KEY = new PiiEntityType('AWS_SECRET_KEY');
  public static readonly CREDIT_DEBIT_CARD_CVV = new PiiEntityType('CREDIT_DEBIT_CARD_CVV');
  public static readonly CREDIT_DEBIT_CARD_NUMBER = new PiiEntityType('CREDIT_DEBIT_CARD_NUMBER');
  public static readonly DRIVER_ID = new PiiEntityType('DRIVER_ID');
  public static readonly EMAIL = new PiiEntityType('EMAIL');
  public static readonly NAME = new PiiEntityType('NAME');
  public static readonly PASSWORD = new PiiEntityType('PASSWORD');
  public static readonly PHONE = new PiiEntityType('PHONE');
  public static readonly PIN = new PiiEntityType('PIN');
  public static readonly US_BANK_ACCOUNT_NUMBER = new PiiEntityType('US_BANK_ACCOUNT_NUMBER');
  public static readonly US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER = new PiiEntityType('US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER');
  public static readonly US_PASSPORT_NUMBER = new PiiEntityType('US_PASSPORT_NUMBER');
  public static readonly US_SOCIAL_SECURITY_NUMBER = new PiiEntityType('US_SOCIAL_SECURITY_NUMBER');

  /** Any other type of the schema's PiiEntityType (e.g. `VEHICLE_IDENTIFICATION_NUMBER`, `IP_ADDRESS`). */
  public static of(name: string): PiiEntityType {
    return new PiiEntityType(name);
  }

  private constructor(public readonly name: string) {}
}

/** What the guardrail does with a sensitive entity it finds. */
export enum PiiAction {
  /** The whole text goes no further; the turn answers with the blocked message. */
  BLOCK = 'BLOCK',
  /** The entity is replaced by its type (`{EMAIL}`) and the text goes on. */
  ANONYMIZE = 'ANONYMIZE',
  /** Detect only: the assessment reports it, the text goes on unchanged. */
  NONE = 'NONE',
}

export interface PiiEntity {
  readonly type: PiiEntityType;
  readonly action: PiiAction;
  /** For user messages and tool results only. @default `action` */
  readonly inputAction?: PiiAction;
  /** For the model's replies and tool inputs only. @default `action` */
  readonly outputAction?: PiiAction;
}

/** A subject the agent must not discuss, described in plain words for the guardrail's classifier. */
export interface DeniedTopic {
  /** Letters, digits, spaces and `-_!?.`, at most 100 characters. */
  readonly name: string;
  /**
   * What the topic is (e.g. "Advice on how to file or win a lawsuit."), at
   * most 200 characters: the Classic tier's limit, the only tier without
   * cross-Region inference (docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html).
   */
  readonly definition: string;
  /** Up to five example phrases, each at most 100 characters. @default none */
  readonly examples?: readonly string[];
}
