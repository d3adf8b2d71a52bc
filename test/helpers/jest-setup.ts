/**
 * Runs in each test file's environment before its tests.
 *
 * On synth, aws-cdk-lib prints its validation report (cdk-nag, the residency
 * guard, construct annotations, CloudFormation validation) with console.error
 * whenever it holds a warning (aws-cdk-lib/core/lib/private/synthesis-validation.js,
 * validateTemplates), which for the GovCloud targets is every synth: dozens of
 * identical blocks per run. The report itself is not lost: synth writes it to
 * validation-report.json, which the tests that check compliance read
 * (lib/compliance/validation-report.ts), and a failing validation still throws
 * with the whole report in its message (jest sets NODE_ENV=test, the CDK's
 * in-memory mode). Only that printed copy is dropped; every other console.error
 * still prints.
 */
const CDK_VALIDATION_REPORT = /(^|\n)A copy of this report can be found in: \S*validation-report\.json$/;
const CDK_VALIDATION_PREAMBLE = /^\[Warning\] Template validation found issues in your templates/;

const consoleError = console.error.bind(console);
console.error = (...args: unknown[]): void => {
  const [first] = args;
  if (args.length === 1 && typeof first === 'string' && (CDK_VALIDATION_REPORT.test(first) || CDK_VALIDATION_PREAMBLE.test(first))) return;
  consoleError(...args);
};
