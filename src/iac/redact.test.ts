import { describe, expect, it } from 'vitest';
import { redactEnvironmentValues } from './redact.js';

describe('redactEnvironmentValues', () => {
  it('masks environment values in YAML, JSON, HCL, TypeScript and Dockerfiles, keeping streaming settings', () => {
    const input = [
      '          DATABASE_URL: postgresql://user:secret@db:5432/app',
      '          AWS_LWA_INVOKE_MODE: response_stream',
      '    "API_KEY": "sk-live-123",',
      '    OPENAI_API_KEY = "sk-tf-456"',
      "  environment: { STRIPE_KEY: 'sk_test_789', PORT: '8080' },",
      'ENV SECRET_TOKEN=abc PORT=8080',
      'ENV LEGACY_TOKEN value-with-secret',
      '      InvokeMode: RESPONSE_STREAM',
      '      AuthType: NONE',
    ].join('\n');
    const out = redactEnvironmentValues(input);
    for (const secret of ['secret@db', 'sk-live-123', 'sk-tf-456', 'sk_test_789', 'abc', 'value-with-secret']) expect(out).not.toContain(secret);
    expect(out).toContain('AWS_LWA_INVOKE_MODE: response_stream');
    expect(out).toContain("PORT: '8080'");
    expect(out).toContain('PORT=8080');
    expect(out).toContain('InvokeMode: RESPONSE_STREAM');
    expect(out).toContain('AuthType: NONE');
    expect(out.split('\n')).toHaveLength(9);
  });

  it('masks lower-case Dockerfile env lines and leaves lines without an upper-case assignment as they are', () => {
    const input = ['env LEGACY_TOKEN value-with-secret', 'env A_KEY=abc', '      Timeout: 30', '  handler: src/index.handler', '# DATABASE_URL is set in CI', ''].join('\n');
    const out = redactEnvironmentValues(input).split('\n');
    expect(out[0]).toBe('env LEGACY_TOKEN «redacted»');
    expect(out[1]).toBe('env A_KEY=«redacted»');
    expect(out.slice(2)).toEqual(['      Timeout: 30', '  handler: src/index.handler', '# DATABASE_URL is set in CI', '']);
  });
});
