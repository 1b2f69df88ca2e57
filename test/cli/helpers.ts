// Runs the CLI in-process and captures what it prints.
import { run } from '../../host/cli/cli.js';

export async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), interactive: false, env });
  return { code, stdout, stderr };
}
