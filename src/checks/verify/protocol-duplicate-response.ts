import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor verify --bootstrap` / `--exec-wrapper`: more than one `/response` POST for one invocation. */
export const protocolDuplicateResponse = defineObservedRule({
  meta: {
    id: 'protocol-duplicate-response',
    surface: 'verify',
    category: 'protocol',
    severity: 'error',
    title: 'More than one /response POST for the same invocation id',
    consequence:
      'One invocation has one response: the later POSTs are refused (the recorder answers 400 InvalidStateTransition) and never reach the client.',
    evidence:
      'An invocation id is answered once, by one /response or one /error POST (aws-lambda-ric posts exactly one; aws.md §2.3); the recorder refuses a second one, what Lambda answers to it is not documented (docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `times`: when each POST started, "12 ms, 40 ms". */
    severalResponses:
      '{{who}} posted {{count}} responses for invocation {{requestId}} (at {{times}}): Lambda accepts one response per invocation id and refuses the rest (the recorder answered 400), so the later ones never reach the client.',
  },
});
