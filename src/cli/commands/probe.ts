import { defineCommand } from '../command.js';
import { shared } from '../options.js';

const repeatable = (value: string, list: string[] = []) => [...list, value];

export const probe = defineCommand({
  name: 'probe',
  description: 'send real requests to a Function URL or streaming endpoint and diagnose the response on the wire',
  arguments: [{ name: '<url>', description: 'the URL to probe' }],
  options: [
    { flags: '--data <body>', description: 'send the main request as a POST with this body' },
    { flags: '-H, --header <header>', description: "extra request header 'name: value' (repeatable)", parse: repeatable },
    { flags: '--origin <origin>', description: 'Origin header for the requests and the CORS preflight (default https://example.com)' },
    { flags: '--sign', description: 'always sign with SigV4 (service lambda)' },
    { flags: '--no-sign', description: 'never sign (default: sign a Function URL when credentials resolve)' },
    { flags: '--region <region>', description: 'signing region (default: from the Function URL host)' },
    { flags: '--profile <profile>', description: 'named profile for the credentials' },
    { flags: '--timeout <duration>', description: 'give up on each request after this long: 10s, 500ms, 1m', default: '10s' },
    // Text or the JSON report with the wire measurements added (src/commands/probe.ts PROBE_FORMATS).
    shared.format(['text', 'json']),
    shared.failOn,
    shared.verbose("show each finding's evidence and the run time"),
    shared.color(),
  ],
  async run({ args: [url], opts, format, failOn, verbose, color, io }) {
    const { probeUrl } = await import('../../commands/probe.js');
    const result = await probeUrl(
      {
        url: url,
        data: opts.data,
        headers: opts.header ?? [],
        origin: opts.origin,
        sign: opts.sign,
        region: opts.region,
        profile: opts.profile,
        timeout: opts.timeout,
        format,
        failOn,
        verbose,
        color,
      },
      io,
    );
    return result.exitCode;
  },
});
