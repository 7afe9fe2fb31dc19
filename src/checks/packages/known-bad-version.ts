import type { RuleMeta } from '../../model/rule.js';

export const knownBadVersionMeta: RuleMeta = {
  id: 'known-bad-version',
  category: 'package',
  severity: 'error',
  title: 'An installed dependency version is known to break Lambda response streaming',
  consequence: 'The installed version ships a streaming bug (see the entry in data/known-bad-packages.json).',
  evidence: 'data/known-bad-packages.json: each entry links the issue, fix and changelog.',
  fixable: true,
  triggers: [],
};
