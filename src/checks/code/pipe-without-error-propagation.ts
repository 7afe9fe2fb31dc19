import type { CodeRule, RuleReport } from '../../model/rule.js';
import { snippet } from '../../code/rule-support.js';

export const pipeWithoutErrorPropagation: CodeRule = {
  meta: {
    id: 'pipe-without-error-propagation',
    category: 'lifecycle',
    severity: 'warning',
    title: 'source.pipe(responseStream) does not end the stream when the source fails',
    consequence:
      '.pipe() does not forward errors: if the source errors mid-way the response stream is never ended and the invocation hangs until the timeout.',
    evidence: 'Node.js stream docs: "if the Readable stream emits an error during processing, the Writable destination is not closed automatically"; a stream that is never ended hangs the invocation (docs/runtime-behaviour.md, c).',
    fixable: true,
    triggers: ['.pipe('],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    const seen = new Set<number>();
    for (const fn of facts.functions) {
      for (const pipe of fn.flow.pipeCalls) {
        if (pipe.kind !== 'pipe' || seen.has(pipe.call.start)) continue;
        seen.add(pipe.call.start);
        reports.push({
          start: pipe.call.start,
          end: pipe.call.end,
          message: `\`${snippet(facts, pipe.call)}\` does not end the response stream if the source fails: the invocation then hangs until the function timeout.`,
          fix: 'Use `await pipeline(source, stream)` from node:stream/promises, and write("") first when metadata was set.',
          key: `${fn.name}:${snippet(facts, pipe.call, 40)}`,
        });
      }
    }
    return reports;
  },
};
