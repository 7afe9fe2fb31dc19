import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: the connection closed before the response ended. */
export const responseAborted = defineObservedRule({
  meta: {
    id: 'response-aborted',
    surface: 'probe',
    category: 'live',
    severity: 'warning',
    title: 'The connection closed before the response ended',
    consequence:
      'The client gets a truncated body: the function crashed or errored mid-stream, or something in the path cut the connection.',
    evidence: 'Probe observation; runtime behaviour: a failing pipeline() or destroy() exits the runtime mid-response (docs/probe.md).',
    fixable: false,
  },
  messages: {
    /** `error`: the socket error, its code, or "reset". */
    closedEarly:
      'The connection closed after {{size}} at {{at}}, before the response ended ({{error}}): the client gets a truncated body. A function that crashes mid-stream (an unhandled pipeline() error, destroy(), write after end) does this.',
  },
});
