import { defineCodeRule } from '../../model/rule.js';
import { observationsOf, snippet } from '../../code/rule-support.js';

export const unawaitedWorkAfterStream = defineCodeRule({
  meta: {
    id: 'unawaited-work-after-stream',
    category: 'lifecycle',
    severity: 'warning',
    title: 'A streamified handler starts background work (fetch, SDK send, an async function) and drops its promise',
    consequence:
      'On nodejs24.x and Managed Instances (and on 18/20/22 once callbackWaitsForEmptyEventLoop = false) Lambda does not wait for unresolved promises after the handler returns and the stream ends: the environment is frozen with the work half done, which resumes during a later invocation or is lost.',
    evidence:
      'AWS Lambda guide (Node.js handler, zh-CN current page): "Starting with Node.js 24, Lambda no longer waits for unresolved Promises to complete after your handler returns or the response stream ends"; aws-lambda-ric 4.0.2 index.mjs:1094-1095,1131-1139,1177-1182 (no beforeExit, /next right after the stream closes); 3.3.0 dist/index.mjs:1091-1101,1486 (waits for an empty loop unless the flag is false); opennextjs-aws PR #487 (ISR broke once the flag was false).',
    fixable: false,
    onlyRuntime: '4.x',
    onlyRuntimeMessages: ['dropped'],
    triggers: ['streamifyResponse'],
  },
  messages: {
    dropped:
      '{{what}} is started{{where}} in `{{handler}}` and its promise is dropped: on nodejs24.x (and Managed Instances) Lambda does not wait for it after the response ends, so the work is frozen half done and finishes in a later invocation, or never.',
    droppedNoWait:
      '{{what}} is started{{where}} in `{{handler}}` and its promise is dropped, and the module sets callbackWaitsForEmptyEventLoop = false: on every Node.js runtime Lambda stops waiting once the response ends, so the work is frozen half done and finishes in a later invocation, or never.',
  },
  check(facts, report) {
    // A dropped promise that writes the stream is unawaited-stream-pump's finding.
    const pumps = new Set(observationsOf(facts, 'unawaited-pump').map(({ obs }) => obs.at.start));
    for (const dropped of facts.droppedPromises) {
      if (pumps.has(dropped.statement.start) || pumps.has(dropped.node.start)) continue;
      report({
        messageId: facts.disablesEventLoopWait ? 'droppedNoWait' : 'dropped',
        data: { what: dropped.what, where: dropped.callback ? ` in its \`${dropped.callback}\` callback` : '', handler: dropped.handler },
        start: dropped.statement.start,
        end: dropped.statement.end,
        fix: 'Await your background work before the handler returns (`await saveChat(…)`, or collect the promises and `await Promise.all(promises)` after ending the stream); in an AI SDK onFinish, await it there and consume the stream fully before returning.',
        key: `${dropped.handler}:${snippet(facts, dropped.node, 40)}`,
      });
    }
  },
});
