import type { CodeRule, RuleReport } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { propertyKey } from '../../code/ast.js';
import { headersCopy, headersCopyOf, metadataShape, snippet, spreadResults } from '../../code/rule-support.js';

export const setCookieDuplicated: CodeRule = {
  meta: {
    id: 'set-cookie-duplicated',
    surface: 'code',
    category: 'metadata',
    severity: 'warning',
    title: 'Cookies are sent both in the prelude headers and in the cookies array',
    consequence: 'Each cookie reaches the client twice (or a stale copy overrides the new one).',
    evidence: 'The prelude is serialised verbatim (runtime behaviour: JSON.stringify of the metadata, no filtering); nitro 3.0.1-alpha.1 was observed sending set-cookie in both places (docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    const reported = new Set<Node>();
    const report = (at: Node) =>
      !reported.has(at) && reported.add(at) &&
      reports.push({
        start: at.start,
        end: at.end,
        message: `\`${snippet(facts, at)}\` puts set-cookie in the prelude headers while the metadata also has a \`cookies\` array: the client gets every cookie twice.`,
        fix: 'Send cookies only in the `cookies` array; delete set-cookie from the headers object.',
        key: snippet(facts, at, 40),
      });
    for (const call of facts.fromCalls) {
      // `...awsResponseHeaders(response)` returning `{ headers, cookies }` with headers copied whole.
      for (const { object, at } of spreadResults(facts, call)) {
        const keys = new Map<string | null, Node>(object.properties.map((p: Node) => [propertyKey(p), p] as const));
        const headers = keys.get('headers');
        if (!keys.has('cookies') || !headers) continue;
        const copy = headersCopyOf(facts, headers.value, at);
        if (copy && !copy.handlesCookie) report(copy.node);
      }
      const shape = metadataShape(facts, call);
      if (!shape || !shape.keys.has('cookies')) continue;
      const literal = shape.headerKeys.get('set-cookie');
      // A copy of every response header (fromEntries or a loop) that leaves set-cookie in.
      const copy = headersCopy(facts, call);
      const copiesCookie = copy && !copy.handlesCookie;
      if (!literal && !copiesCookie) continue;
      report(literal ?? copy!.node);
    }
    return reports;
  },
};
