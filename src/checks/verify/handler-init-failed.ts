import { defineObservedRule } from '../../model/rule.js';

/**
 * Seen by `stream-doctor verify`: the runtime never asked for an event because the handler could not be loaded
 * (an `/init/error` post, an exit during init, or an init that did not finish). One finding per runtime.
 *
 * Common data: `runtime` names what ran; `events` says which events did not reach the handler, as the subject of
 * "… reached the handler": "none of the 6 events (GET, HEAD, …)", "no event (GET)", "2 of the 6 events (GET, HEAD)
 * never".
 */
export const handlerInitFailed = defineObservedRule({
  meta: {
    id: 'handler-init-failed',
    surface: 'verify',
    category: 'lifecycle',
    severity: 'error',
    title: 'The handler module cannot be loaded: every invocation fails at init',
    consequence:
      'The runtime reports an init error (or exits) before it asks for an event: on Lambda every cold start fails the same way and the function answers no request.',
    evidence:
      'aws-lambda-ric loads the handler before its first GET …/invocation/next and posts a failure to POST …/runtime/init/error, then exits (3.3.0: exit code 129, 4.0.2: exit code 1); run for a missing package, a throw at module scope and a syntax error (docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `error`: "Type: message" from the /init/error post (shortened). */
    initError:
      'Under {{runtime}} the handler module failed to load ({{error}}): the runtime reported an init error and exited, so {{events}} reached the handler. On Lambda every cold start fails the same way: the function answers no request.',
    /** `exit`: "exit code 3", "signal SIGKILL". */
    exitedDuringInit:
      'Under {{runtime}} the runtime process exited ({{exit}}) while loading the handler, before it asked for an event and without reporting an init error: {{events}} reached the handler. On Lambda every cold start fails the same way.',
    /** `seconds`: how long the runtime was given to load the handler. */
    initDidNotFinish:
      'Under {{runtime}} loading the handler did not finish: after {{seconds}} s the runtime had still not asked for an event, so {{events}} reached the handler. On Lambda the init phase is cut off after 10 s and retried within the invocation, under the function timeout.',
  },
});
