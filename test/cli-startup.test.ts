/** The CLI's shell: --version and --help, the shared options each command declares, and what start-up loads. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');
const recorder = path.join(repo, 'test/support/record-modules.mjs');
const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;

function run(args: string[], nodeArgs: string[] = [], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [...nodeArgs, bin, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The modules (repo-relative, or the package name for node_modules) that `stream-doctor ...args` loads. The
 * launcher runs the bundle (dist/bundle/), so each bundle file it loads stands for the modules built into it
 * (dist/bundle-contents.json, written by the build): `dist/cli.js`, `node_modules/commander/...`.
 */
function loadedModules(args: string[]): string[] {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'sd-modules-')), 'modules.txt');
  const result = run(args, ['--import', recorder], { RECORD_MODULES_TO: out });
  expect(result.code).toBe(0);
  const contents = JSON.parse(readFileSync(path.join(repo, 'dist/bundle-contents.json'), 'utf8')) as Record<string, string[]>;
  const name = (file: string) => {
    const nm = file.lastIndexOf('node_modules/');
    return nm >= 0 ? file.slice(nm + 'node_modules/'.length) : file;
  };
  return readFileSync(out, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .flatMap((url) => {
      const file = path.relative(repo, new URL(url).pathname).split(path.sep).join('/');
      if (!file.startsWith('dist/bundle/')) return [name(file)];
      const inputs = contents[file.slice('dist/bundle/'.length)];
      expect(inputs, `${file} is in dist/bundle-contents.json`).toBeDefined();
      return inputs!.map(name);
    });
}

describe('--version and --help', () => {
  it('--version prints the package version and exits 0', () => {
    expect(run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('--help lists every command and exits 0', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(0);
    for (const name of ['scan', 'aws', 'fix', 'probe', 'verify', 'rules', 'explain']) expect(stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it("a command's --help lists the shared options it declares, with its own formats and --fail-on default", () => {
    const help = (command: string) => {
      const { code, stdout } = run([command, '--help']);
      expect(code).toBe(0);
      return stdout.replace(/\s+/g, ' ');
    };
    const scan = help('scan');
    expect(scan).toContain('-f, --format <format> output format (choices: "text", "json", "sarif", "github", "markdown", "gitlab", default: "text") --docs-url <url>');
    // scan reads a configuration file: --fail-on has no default, so the config's failOn applies.
    expect(scan).toContain('--fail-on <severity> exit 1 when a finding is at or above this severity (choices: "error", "warning", "info", "none") --no-deps');
    expect(scan).toContain('-c, --config <file> configuration file (default: stream-doctor.config.json or package.json "stream-doctor")');
    expect(scan).toContain('--verbose list skipped files and suppressed findings');
    expect(scan).toContain('--no-color never colour the text output');

    for (const command of ['aws', 'probe', 'verify']) {
      const text = help(command);
      expect(text).toContain('(choices: "error", "warning", "info", "none", default: "error")');
      expect(text).toContain('--verbose');
      expect(text).toContain('--no-color never colour the text output');
      expect(text).not.toContain('--config');
    }
    expect(help('probe')).toContain('(choices: "text", "json", default: "text")');
    // Every command that writes the findings report writes all its formats, and links rule pages in Markdown.
    for (const command of ['scan', 'aws', 'verify']) {
      const text = help(command);
      expect(text).toContain('(choices: "text", "json", "sarif", "github", "markdown", "gitlab", default: "text")');
      expect(text).toContain('--docs-url <url> markdown and the GitHub step summary link each rule to <url>/docs/rules/<id>.md');
    }
    for (const command of ['probe', 'fix', 'rules']) expect(help(command)).not.toContain('--docs-url');

    const fix = help('fix');
    expect(fix).toContain('-f, --format <format> output format (choices: "text", "json", default: "text")');
    expect(fix).toContain('-c, --config <file> configuration file (default: stream-doctor.config.json');
    expect(fix).toContain('--no-color never colour the diff');
    expect(fix).not.toContain('--fail-on');
    expect(help('rules')).toContain('-f, --format <format> output format (choices: "text", "json", default: "text")');
  });

  it('a usage error exits 2 with commander\'s message', () => {
    const { code, stderr } = run(['fix', '--fail-on', 'error']);
    expect(code).toBe(2);
    expect(stderr).toBe("error: unknown option '--fail-on'\n");
  });
});

describe('start-up loads only the command that runs', () => {
  const pipeline = (modules: string[]) =>
    modules.filter((m) => /^dist\/(commands\/(?!errors\.js)|checks\/|code\/|config\/(?!errors\.js)|iac\/|aws\/|report\/(?!format-names\.js)|grammars\/)/.test(m) || /^(oxc-parser|@aws-sdk|web-tree-sitter)\//.test(m));

  it('--version alone (and -V) loads nothing but the launcher: it answers from package.json', () => {
    for (const args of [['--version'], ['-V']]) {
      expect(loadedModules(args), args.join(' ')).toEqual(['bin/stream-doctor.js']);
      expect(run(args)).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });

  it('--version among other arguments and --help load no implementation, formatter, config reader, rule or parser', () => {
    for (const args of [['--version', 'scan'], ['--help'], ['scan', '--help']]) {
      const modules = loadedModules(args);
      expect(modules).toContain('dist/cli.js');
      expect(pipeline(modules), args.join(' ')).toEqual([]);
    }
  });
});
