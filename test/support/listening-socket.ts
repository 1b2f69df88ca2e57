// A listening unix socket made with libc, outside Node's event loop: the test holds it as
// systemd holds an activated socket, and never accepts on it, so connections queue in the
// kernel until a daemon that was handed the fd accepts them.
import koffi from 'koffi';
import { sys } from '../../host/netlink/libc.js';

const listenFn = koffi.load('libc.so.6').func('int listen(int, int)');
const AF_UNIX = 1;
const SOCK_STREAM = 1;
/** sizeof(struct sockaddr_un): sun_family and sun_path[108]. */
const SOCKADDR_UN_BYTES = 110;

export function listeningSocket(path: string): number {
  if (Buffer.byteLength(path) >= SOCKADDR_UN_BYTES - 2) throw new Error(`socket path too long: ${path}`);
  const fd = sys.socket(AF_UNIX, SOCK_STREAM, 0);
  try {
    const address = Buffer.alloc(SOCKADDR_UN_BYTES);
    address.writeUInt16LE(AF_UNIX, 0);
    address.write(path, 2);
    sys.bind(fd, address);
    if (listenFn(fd, 128) !== 0) throw new Error(`listen on ${path} failed`);
    return fd;
  } catch (error) {
    sys.close(fd);
    throw error;
  }
}
