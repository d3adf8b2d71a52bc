import { ConfigError, parseConfig } from '../../lib/config/load';

/** The problems a configuration is refused with, as `path: message` lines; fails if it is accepted. */
export function problemsOf(overrides: unknown): string[] {
  try {
    parseConfig(overrides);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}
