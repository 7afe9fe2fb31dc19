import { defineCommand } from '../command.js';
import { shared } from '../options.js';

export const rules = defineCommand({
  name: 'rules',
  description: 'list every rule',
  options: [shared.format(['text', 'json'])],
  async run({ format, io }) {
    const { listRules } = await import('../../commands/rules.js');
    io.stdout(listRules(format));
    return 0;
  },
});
