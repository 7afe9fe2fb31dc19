import { defineObservedRule } from '../../model/rule.js';

/**
 * Reported by the code analysis itself (src/code/analyze.ts) when a module of the project that streams
 * (it calls streamifyResponse, builds a prelude or writes a response stream) has a syntax error: there are no
 * facts to run rules on, and the runtime cannot load the module either.
 */
export const handlerSyntaxError = defineObservedRule({
  meta: {
    id: 'handler-syntax-error',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'A streaming handler module has a syntax error',
    consequence:
      'The runtime cannot import the module: every invocation fails at init with Runtime.UserCodeSyntaxError (or ImportModuleError), before any response is streamed.',
    evidence:
      'Node rejects a module with a syntax error at import; the Lambda runtime reports it as an init error for every invocation (aws-lambda-ric 3.3.0 and 4.0.2 UserFunction loading; `stream-doctor verify` shows it as init-failed).',
    fixable: false,
  },
  messages: {
    doesNotParse:
      '`{{file}}` does not parse ({{error}}): Lambda cannot load this handler module, so every invocation fails at init with a syntax error and no response is streamed.',
  },
});
