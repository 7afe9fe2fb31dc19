import { defineCommand } from '../command.js';

export const explain = defineCommand({
  name: 'explain',
  description: 'show what a rule detects, why, and how to fix it',
  arguments: [{ name: '<rule>', description: 'rule id' }],
  options: [],
  async run({ args: [id], io }) {
    const { explainRule } = await import('../../commands/rules.js');
    io.stdout(explainRule(id));
    return 0;
  },
});
