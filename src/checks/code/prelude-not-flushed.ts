import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Observation } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, lineOf, metadataShape, observationsOf, snippet } from '../../code/rule-support.js';
import type { ModuleFacts } from '../../code/facts.js';
import { type Node, unwrap } from '../../code/ast.js';

/**
 * The metadata passed to from() is an object we can read and it says nothing a missing prelude loses: status
 * 200 (or none) and no headers or cookies. Without a prelude the client gets 200 anyway.
 */
function carriesOnlyTheDefault(facts: ModuleFacts, from: Node | null): boolean {
  if (!from) return false;
  const shape = metadataShape(facts, from);
  if (!shape || shape.hasSpread) return false;
  for (const [key, node] of shape.keys) {
    if (key !== 'statuscode') return false;
    const value = unwrap(node.value);
    if (!(value?.type === 'Literal' && value.value === 200)) return false;
  }
  return true;
}

export const preludeNotFlushed = defineCodeRule({
  meta: {
    id: 'prelude-not-flushed',
    category: 'lifecycle',
    severity: 'error',
    title: 'HttpResponseStream.from() followed by end() with no write(): status, headers and cookies are lost',
    consequence:
      'Only write() sends the JSON prelude. Ending without a write drops it: a redirect or 204 becomes 200 application/octet-stream, and cookies are lost.',
    evidence: `Runtime behaviour d/d″ (${RUNTIME_EVIDENCE}); middy #1189 (empty body answered 200 instead of 301); aws-lambda-nodejs-runtime-interface-client #97.`,
    fixable: true,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  messages: {
    endsWithoutWrite: '`{{name}}` sets the response metadata (line {{fromLine}}) and then ends the stream without any write(): the prelude is only sent by write(), so the status code, headers and cookies are lost and the client gets 200 application/octet-stream.',
    emptyLoop: '`{{name}}` sets the response metadata (line {{fromLine}}) and then ends the stream when the loop on line {{loopLine}} writes nothing (an empty body): the prelude is only sent by write(), so the status code, headers and cookies are lost and the client gets 200 application/octet-stream.',
    pipesEmpty: '`{{name}}` sets the response metadata (line {{fromLine}}) and then pipes an empty source: the prelude is only sent by write(), so the status code, headers and cookies are lost and the client gets 200 application/octet-stream.',
    pipesMaybeEmpty: '`{{name}}` sets the response metadata (line {{fromLine}}) and then pipes a source that may yield no chunk (an empty body): the prelude is only sent by write(), so the status code, headers and cookies are lost and the client gets 200 application/octet-stream.',
  },
  /** The path's observation: its `from` call is where the fixer adds `write("")`. */
  payload: payloadType<Extract<Observation, { kind: 'end-without-flush' }>>(),
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'end-without-flush')) {
      const data = { name: fn.name, fromLine: lineOf(facts, obs.from) };
      // Lost metadata that carries nothing the default would not (`{ statusCode: 200 }` alone: the client gets
      // 200 either way) is worth a note, not an error.
      const proven = (obs.via === 'end' ? !obs.emptyLoop : obs.provenEmptySource) && !carriesOnlyTheDefault(facts, obs.from);
      const where = { start: obs.at.start, end: obs.at.end, severity: proven ? ('error' as const) : ('info' as const) };
      const common = {
        ...where,
        fix: 'Call `stream.write("")` right after HttpResponseStream.from() (it sends the prelude with an empty body).',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: obs,
      };
      if (obs.via === 'pipeline') report({ ...common, messageId: obs.provenEmptySource ? 'pipesEmpty' : 'pipesMaybeEmpty', data });
      else if (obs.emptyLoop) report({ ...common, messageId: 'emptyLoop', data: { ...data, loopLine: lineOf(facts, obs.emptyLoop) } });
      else report({ ...common, messageId: 'endsWithoutWrite', data });
    }
  },
});
