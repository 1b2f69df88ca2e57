// POST /v1/cni: the daemon runs a CNI command itself, so a runtime's call costs no Node start
// (the plugin's C forwarder, host/cni/forwarder.c, sends it). In: the CNI_* variables and the
// configuration the runtime wrote on stdin. Out: exactly what the plugin would print, with its
// exit code in the `cni-exit-code` header; any other answer than 200 means nothing was run.
import { LocalApi } from '../api/local-client.js';
import { route, type Route } from '../api/routes.js';
import { object, record, str } from '../api/schema.js';
import { runCni } from './plugin.js';

/** The variables of the spec; others a runtime passes are not the plugin's business. */
const CNI_VARIABLES = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'];

const cniRequest = object({ env: record(str({ max: 4096 }), 64), stdin: str() });

export const EXIT_CODE_HEADER = 'cni-exit-code';

export const cniRoute: Route = route('POST', '/v1/cni', cniRequest, async (port, _, { env, stdin }) => {
  const cniEnv = Object.fromEntries(CNI_VARIABLES.filter((name) => name in env).map((name) => [name, env[name]]));
  const outcome = await runCni(cniEnv, stdin, () => new LocalApi(port));
  return {
    status: 200,
    body: outcome.stdout,
    contentType: 'application/json',
    headers: { [EXIT_CODE_HEADER]: String(outcome.exitCode) },
  };
});
