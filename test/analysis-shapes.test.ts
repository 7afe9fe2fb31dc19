/**
 * Shapes from real projects that span more than one file, scanned through the built CLI (the per-file
 * fixtures of test/fixtures/rules cannot express them).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');

function scan(files: Record<string, string>): Array<[string, string, number]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-shapes-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const result = spawnSync(process.execPath, [bin, 'scan', dir, '--format', 'json', '--fail-on', 'none'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return (JSON.parse(result.stdout).findings as Array<{ ruleId: string; file: string; line: number }>).map((f) => [f.ruleId, f.file, f.line]);
}

const RAW = `export const handler = async (event, responseStream) => {
  responseStream.write("hello");
  responseStream.end();
};
`;

describe('streaming-handler-not-streamified across modules', () => {
  it('reports a raw streaming handler nothing streamifies', () => {
    expect(scan({ 'src/handler.mjs': RAW })).toEqual([['streaming-handler-not-streamified', 'src/handler.mjs', 1]]);
  });

  it('is quiet when another module of the project imports it and streamifies it', () => {
    const findings = scan({
      'src/handler.mjs': RAW,
      'src/index.mjs': 'import { handler as raw } from "./handler.mjs";\nexport const handler = awslambda.streamifyResponse(raw);\n',
    });
    expect(findings.filter(([rule]) => rule === 'streaming-handler-not-streamified')).toEqual([]);
  });
});

describe('a helper module handed the stream under another name', () => {
  // The helper carries none of the pre-filter's markers (no `responseStream`, no `awslambda`): it is analysed
  // because the handler's analysis followed it.
  const HELPER = `export async function handle(question, output) {
  try {
    for await (const event of model.stream(question)) {
      output.write(event.text);
    }
  } catch (e) {
    output.write(\`Error: \${e.message}\\n\`);
  }
}
`;
  const INDEX = `import { handle } from "./handler.mjs";
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  await handle(event.body, responseStream);
  responseStream.end();
});
`;

  it('reports the error text written after output in the helper, at the helper', () => {
    expect(scan({ 'lambda/handler.mjs': HELPER, 'lambda/index.mjs': INDEX })).toEqual([['error-after-headers-masked', 'lambda/handler.mjs', 7]]);
  });

  it('does not analyse a module no handler follows', () => {
    expect(scan({ 'lambda/handler.mjs': HELPER, 'lambda/other.mjs': 'export const x = 1;\n' })).toEqual([]);
  });
});

describe('handler code written inside the infrastructure file', () => {
  it('reads a Terraform archive_file heredoc and reports at the .tf line', () => {
    const tf = [
      'data "archive_file" "fn" {', //                                                                        1
      '  type        = "zip"', //                                                                             2
      '  output_path = "/tmp/fn.zip"', //                                                                     3
      '  source {', //                                                                                        4
      '    content  = <<EOF', //                                                                              5
      'import { pipeline } from "node:stream/promises";', //                                                  6
      'export const handler = awslambda.streamifyResponse(async (event, responseStream) => {', //            7
      '  const res = await fetch(process.env.UPSTREAM);', //                                                  8
      '  await pipeline(res.body, awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 }));', // 9
      '});', //                                                                                               10
      'EOF', //                                                                                               11
      '    filename = "main.mjs"', //                                                                         12
      '  }', //                                                                                               13
      '}', //                                                                                                 14
    ].join('\n');
    expect(scan({ 'main.tf': `${tf}\n` })).toContainEqual(['pipeline-source-error-crashes', 'main.tf', 9]);
  });
});

describe('an image function built elsewhere', () => {
  const TF = `resource "aws_ecr_repository" "app" {
  name = "chat"
}
resource "aws_lambda_function" "chat" {
  function_name = "chat"
  package_type  = "Image"
  image_uri     = "\${aws_ecr_repository.app.repository_url}:latest"
  role          = "arn:aws:iam::123456789012:role/chat"
  timeout       = 120
}
resource "aws_lambda_function_url" "chat" {
  function_name      = aws_lambda_function.chat.function_name
  authorization_type = "AWS_IAM"
  invoke_mode        = "RESPONSE_STREAM"
}
`;
  const LWA = 'FROM node:20-slim\nCOPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1 /lambda-adapter /opt/extensions/lambda-adapter\nCMD ["node", "server.mjs"]\n';

  it('is joined to the only Lambda Web Adapter Dockerfile of the project', () => {
    expect(scan({ 'infra/main.tf': TF, 'app/Dockerfile': LWA })).toEqual([['web-adapter-mode-mismatch', 'app/Dockerfile', 2]]);
  });

  it('is not joined when two Dockerfiles could be its image', () => {
    expect(scan({ 'infra/main.tf': TF, 'app/Dockerfile': LWA, 'worker/Dockerfile': LWA })).toEqual([]);
  });
});
