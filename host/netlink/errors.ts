// Typed errors of the plumbing. `code` uses the names of the WIT `error` variant so the driver
// runtime can hand them to a guest unchanged.
import { constants } from 'node:os';

export type ErrorCode = 'invalid-parameter' | 'not-found' | 'forbidden' | 'not-implemented' | 'internal' | 'retry';

// os.constants.errno lacks a few Linux names the kernel returns here (EXFULL: bridge full).
const extraErrnos: Record<string, number> = { EXFULL: 54, EBADE: 52, ENOTUNIQ: 76, ERFKILL: 132 };
// Aliases sharing a number resolve to the kernel's own name (EOPNOTSUPP, not ENOTSUP).
const errnoNames = new Map<number, string>([
  [95, 'EOPNOTSUPP'],
  [11, 'EAGAIN'],
  [35, 'EDEADLK'],
]);
for (const [name, value] of Object.entries({ ...constants.errno, ...extraErrnos })) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

function codeOf(errno: string): ErrorCode {
  switch (errno) {
    case 'ENODEV':
    case 'ENOENT':
    case 'ESRCH':
    case 'EADDRNOTAVAIL':
    case 'ENXIO':
      return 'not-found';
    case 'EPERM':
    case 'EACCES':
      return 'forbidden';
    case 'EOPNOTSUPP':
    case 'EAFNOSUPPORT':
    case 'EPROTONOSUPPORT':
      return 'not-implemented';
    case 'EBUSY':
    case 'EAGAIN':
    case 'ETIMEDOUT':
      return 'retry';
    case 'EEXIST':
    case 'EINVAL':
    case 'ERANGE':
    case 'EXFULL':
    case 'ENAMETOOLONG':
    case 'ENETUNREACH':
      return 'invalid-parameter';
    default:
      return 'internal';
  }
}

/** The kernel (or a system call) refused a request. */
export class NetlinkError extends Error {
  readonly code: ErrorCode;
  readonly errnoName: string;
  constructor(
    readonly errno: number,
    /** What was asked, e.g. "RTM_NEWLINK veth vh1 peer eth0". */
    readonly request: string,
    /** The namespace the request acted in (a path, or "self"). */
    readonly netns: string,
    /** The kernel's extended ACK message, when it gave one. */
    readonly detail?: string,
  ) {
    const name = errnoName(errno);
    super(`${request} in netns ${netns}: ${name}${detail ? ` (${detail})` : ''}`);
    this.name = 'NetlinkError';
    this.errnoName = name;
    this.code = codeOf(name);
  }
}

/** Input refused before anything reached the kernel. */
export class InvalidInputError extends Error {
  readonly code = 'invalid-parameter' as const;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** The ownership check refused a driver's request. */
export class ForbiddenError extends Error {
  readonly code = 'forbidden' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}
