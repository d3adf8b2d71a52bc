import { RemovalPolicy } from 'aws-cdk-lib';
import { ContentFilterType, FilterStrength, PiiAction, PiiEntityType, type ContentFilter, type PiiEntity } from './guardrail-policies';

/** Secure defaults of Guardrail, named so a fork can audit them. */

/** What the user is told when the guardrail blocks their message: no detail a prober could learn from. */
export const BLOCKED_INPUT_MESSAGE = 'Sorry, this assistant cannot help with that request.';
/** What replaces a reply the guardrail blocks. */
export const BLOCKED_OUTPUT_MESSAGE = 'Sorry, the answer was withheld by policy.';

/**
 * SI-10: every content category at HIGH both ways. Prompt attacks are judged
 * on input only (the schema allows no other output strength than NONE); tool
 * results are checked as input, so injected instructions in retrieved text are too.
 */
export const DEFAULT_CONTENT_FILTERS: readonly ContentFilter[] = [
  ...[ContentFilterType.HATE, ContentFilterType.INSULTS, ContentFilterType.SEXUAL, ContentFilterType.VIOLENCE, ContentFilterType.MISCONDUCT].map(
    (type): ContentFilter => ({ type, inputStrength: FilterStrength.HIGH, outputStrength: FilterStrength.HIGH }),
  ),
  { type: ContentFilterType.PROMPT_ATTACK, inputStrength: FilterStrength.HIGH, outputStrength: FilterStrength.NONE },
];

/**
 * SC-28, PT-2 (processing of PII): identifiers and secrets that no model or
 * log needs are blocked; contact details are anonymized, so an answer can
 * still say that the requester has an e-mail address. Names and postal
 * addresses pass: casework is about people. Add them (ANONYMIZE) where it is not.
 */
export const DEFAULT_PII_ENTITIES: readonly PiiEntity[] = [
  ...[
    PiiEntityType.US_SOCIAL_SECURITY_NUMBER,
    PiiEntityType.US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER,
    PiiEntityType.US_PASSPORT_NUMBER,
    PiiEntityType.US_BANK_ACCOUNT_NUMBER,
    PiiEntityType.CREDIT_DEBIT_CARD_NUMBER,
    PiiEntityType.CREDIT_DEBIT_CARD_CVV,
    PiiEntityType.PIN,
    PiiEntityType.PASSWORD,
    PiiEntityType.AWS_ACCESS_KEY,
    PiiEntityType.AWS_SECRET_KEY,
  ].map((type): PiiEntity => ({ type, action: PiiAction.BLOCK })),
  ...[PiiEntityType.EMAIL, PiiEntityType.PHONE].map((type): PiiEntity => ({ type, action: PiiAction.ANONYMIZE })),
];

/**
 * AU-11: the guardrail and its published versions outlive the stack. Every
 * `guardrail` event in a session names the version that acted, and an
 * auditor must be able to read what that version did; a retained version
 * also keeps answering functions still bound to it while a deploy rolls out.
 */
export const GUARDRAIL_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/**
 * What a caller needs to apply the guardrail: the API on this guardrail, and
 * decryption of its configuration under the customer-managed key
 * (docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html: "guardrails users" need kms:Decrypt).
 */
export const APPLY_ACTIONS = ['bedrock:ApplyGuardrail'];
export const APPLY_KEY_ACTIONS = ['kms:Decrypt'];
