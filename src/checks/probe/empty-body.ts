import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: a 2xx with a declared content type and no body byte. */
export const emptyBody = defineObservedRule({
  meta: {
    id: 'empty-body',
    surface: 'probe',
    category: 'live',
    severity: 'warning',
    title: 'A 2xx response that declares a content type but carries no body',
    consequence:
      'The client gets nothing to render or parse; with streaming handlers this is usually a write that never happened or a mode mismatch.',
    evidence: 'Probe observation; aws-lambda-web-adapter #499, aws-lambda-rust-runtime #805 (docs/probe.md).',
    fixable: false,
  },
  messages: {
    declaredButEmpty:
      '{{status}} {{media}} with an empty body: the response declares content but none was sent (a write that never happened, or a streaming/buffered mode mismatch).',
  },
});
