// Published ports on the command line: `--publish [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`,
// as `docker run -p` spells them, and back as `8080->80/tcp`.
import type { PortBinding } from '../controller/model.js';
import { UsageError } from './command.js';

const PUBLISH = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+):(\d+)(?:\/(tcp|udp))?$/;

/** The binding `text` spells; the ports' range is the API's to check. */
export function parsePublish(text: string): PortBinding {
  const match = PUBLISH.exec(text);
  if (match === null) throw new UsageError(`--publish ${text}: want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]`);
  const [, hostIp, hostPort, containerPort, protocol] = match;
  return {
    protocol: protocol === 'udp' ? 'udp' : 'tcp',
    ...(hostIp === undefined ? {} : { hostIp }),
    hostPort: Number(hostPort),
    containerPort: Number(containerPort),
  };
}

/** `8080->80/tcp`, with the host address first when there is one. */
export function formatPort(port: PortBinding): string {
  return `${port.hostIp === undefined ? '' : `${port.hostIp}:`}${port.hostPort}->${port.containerPort}/${port.protocol}`;
}
