// The floor of one endpoint: the netlink sequence wasmnet sends for an endpoint, from C with no
// runtime around it. bench/floor.ts builds it with the system's `cc` and runs it in the
// benchmark's private host namespace.
//
// Each lifecycle, as wasmnet's: a namespace made ahead (unshare, lo up: wasmnet's pool does this
// off the setup's path), then, timed as setup: its file bind-mounted, one RTM_NEWLINK for a veth
// up on the bridge with its peer created in the namespace as eth0 (one queue each way, a MAC),
// the peer's index read back, then eth0 up, its address and the default route in one send.
// Timed as teardown: the bridge port released, the namespace's file unmounted and removed, its
// fds closed (the kernel frees the namespace and the veth pair with it).
//
// usage: endpoint NETNS_DIR BRIDGE NET COUNT   (NET: the first two octets of a /16, "10.250";
// the bridge holds NET.0.1). Prints one line per lifecycle: "SETUP_MS TEARDOWN_MS".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 8192

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

struct msg {
  char buf[BUF];
  size_t len;  // bytes used by the whole batch
  struct nlmsghdr *hdr;  // the message being built
  unsigned seq;
};

static void begin(struct msg *m, int type, int flags, const void *body, size_t size) {
  m->hdr = (struct nlmsghdr *)(m->buf + m->len);
  memset(m->hdr, 0, NLMSG_SPACE(size));
  m->hdr->nlmsg_type = type;
  // A request that answers (a get) is not acked too: one answer per message.
  m->hdr->nlmsg_flags = NLM_F_REQUEST | (type == RTM_GETLINK ? 0 : NLM_F_ACK) | flags;
  m->hdr->nlmsg_seq = ++m->seq;
  m->hdr->nlmsg_len = NLMSG_LENGTH(size);
  memcpy(NLMSG_DATA(m->hdr), body, size);
  m->len += NLMSG_ALIGN(m->hdr->nlmsg_len);
}

static struct rtattr *attr(struct msg *m, int type, const void *data, size_t size) {
  struct rtattr *a = (struct rtattr *)(m->buf + m->len);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(size);
  if (size) memcpy(RTA_DATA(a), data, size);
  memset((char *)RTA_DATA(a) + size, 0, RTA_SPACE(size) - RTA_LENGTH(size));
  m->len += RTA_SPACE(size);
  m->hdr->nlmsg_len = m->len - ((char *)m->hdr - m->buf);
  return a;
}

static void end(struct msg *m, struct rtattr *nest) { nest->rta_len = (m->buf + m->len) - (char *)nest; }

static void u32attr(struct msg *m, int type, unsigned value) { attr(m, type, &value, 4); }

/** Sends the batch and reads one answer per message; a reply other than an ack is copied to `reply`. */
static void talk(int fd, struct msg *m, void *reply, size_t reply_size) {
  unsigned expected = 0;
  for (size_t at = 0; at < m->len; at += NLMSG_ALIGN(((struct nlmsghdr *)(m->buf + at))->nlmsg_len)) expected++;
  if (send(fd, m->buf, m->len, 0) < 0) die("send");
  char in[BUF];
  while (expected > 0) {
    ssize_t got = recv(fd, in, sizeof in, 0);
    if (got < 0) die("recv");
    for (struct nlmsghdr *h = (struct nlmsghdr *)in; NLMSG_OK(h, (unsigned)got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        int error = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
        if (error != 0) {
          errno = -error;
          die("netlink request");
        }
      } else if (reply != NULL) {
        memcpy(reply, h, h->nlmsg_len < reply_size ? h->nlmsg_len : reply_size);
      }
      expected--;
    }
  }
  m->len = 0;
}

static int rtnl(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) die("socket");
  return fd;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void set_up(struct msg *m, int index) {
  struct ifinfomsg info = {.ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
  begin(m, RTM_NEWLINK, 0, &info, sizeof info);
}

struct spare {
  int ns;    // the namespace's fd
  int sock;  // a netlink socket inside it
};

/** A namespace with lo up, made as wasmnet's pool makes one ahead of time (not timed). */
static struct spare make_spare(int host) {
  struct spare s;
  if (unshare(CLONE_NEWNET) < 0) die("unshare");
  s.ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (s.ns < 0) die("open namespace");
  s.sock = rtnl();
  if (setns(host, CLONE_NEWNET) < 0) die("setns");
  struct msg m = {.len = 0, .seq = 0};
  set_up(&m, 1);
  talk(s.sock, &m, NULL, 0);
  return s;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s NETNS_DIR BRIDGE NET COUNT\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1], *net = argv[3];
  int bridge = if_nametoindex(argv[2]);
  if (bridge == 0) die("bridge");
  int count = atoi(argv[4]);
  int host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host < 0) die("open host namespace");
  int hsock = rtnl();
  struct msg m = {.len = 0, .seq = 0};
  char gateway[32];
  snprintf(gateway, sizeof gateway, "%s.0.1", net);
  struct in_addr gw;
  inet_pton(AF_INET, gateway, &gw);
  unsigned pid = getpid();
  for (int i = 0; i < count; i++) {
    struct spare spare = make_spare(host);
    char path[512], name[IFNAMSIZ], address[32];
    snprintf(path, sizeof path, "%s/floor-%u-%d", dir, pid, i);
    snprintf(name, sizeof name, "fl%x", (pid << 12) ^ i);
    snprintf(address, sizeof address, "%s.%d.%d", net, (i + 2) >> 8 & 255, (i + 2) & 255);
    unsigned char mac[6] = {0x02, 0x42, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255};

    double t0 = now_ms();
    int file = open(path, O_CREAT | O_EXCL | O_RDONLY | O_CLOEXEC, 0444);
    if (file < 0) die("create the namespace file");
    close(file);
    char source[64];
    snprintf(source, sizeof source, "/proc/self/fd/%d", spare.ns);
    if (mount(source, path, NULL, MS_BIND, NULL) < 0) die("bind-mount the namespace");

    struct ifinfomsg info = {.ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
    begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &info, sizeof info);
    attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
    u32attr(&m, IFLA_MASTER, bridge);
    u32attr(&m, IFLA_NUM_TX_QUEUES, 1);
    u32attr(&m, IFLA_NUM_RX_QUEUES, 1);
    struct rtattr *linkinfo = attr(&m, IFLA_LINKINFO, NULL, 0);
    attr(&m, IFLA_INFO_KIND, "veth", 5);
    struct rtattr *data = attr(&m, IFLA_INFO_DATA, NULL, 0);
    struct rtattr *peer = attr(&m, VETH_INFO_PEER, NULL, 0);
    struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
    memcpy(m.buf + m.len, &peer_info, sizeof peer_info);
    m.len += NLMSG_ALIGN(sizeof peer_info);
    attr(&m, IFLA_IFNAME, "eth0", 5);
    u32attr(&m, IFLA_NET_NS_FD, spare.ns);
    attr(&m, IFLA_ADDRESS, mac, 6);
    u32attr(&m, IFLA_NUM_TX_QUEUES, 1);
    u32attr(&m, IFLA_NUM_RX_QUEUES, 1);
    end(&m, peer);
    end(&m, data);
    end(&m, linkinfo);
    talk(hsock, &m, NULL, 0);

    // The peer's index, as wasmnet reads back the link it made.
    struct ifinfomsg query = {.ifi_family = AF_UNSPEC};
    begin(&m, RTM_GETLINK, 0, &query, sizeof query);
    attr(&m, IFLA_IFNAME, "eth0", 5);
    char reply[BUF];
    talk(spare.sock, &m, reply, sizeof reply);
    int eth0 = ((struct ifinfomsg *)NLMSG_DATA((struct nlmsghdr *)reply))->ifi_index;

    set_up(&m, eth0);
    struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 16, .ifa_index = eth0};
    begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
    struct in_addr local;
    inet_pton(AF_INET, address, &local);
    attr(&m, IFA_LOCAL, &local, 4);
    attr(&m, IFA_ADDRESS, &local, 4);
    struct rtmsg rt = {.rtm_family = AF_INET,
                       .rtm_table = RT_TABLE_MAIN,
                       .rtm_protocol = RTPROT_BOOT,
                       .rtm_scope = RT_SCOPE_UNIVERSE,
                       .rtm_type = RTN_UNICAST};
    begin(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
    attr(&m, RTA_GATEWAY, &gw, 4);
    u32attr(&m, RTA_OIF, eth0);
    talk(spare.sock, &m, NULL, 0);
    double t1 = now_ms();

    struct ifinfomsg release = {.ifi_family = AF_UNSPEC};
    begin(&m, RTM_NEWLINK, 0, &release, sizeof release);
    attr(&m, IFLA_IFNAME, name, strlen(name) + 1);
    u32attr(&m, IFLA_MASTER, 0);
    talk(hsock, &m, NULL, 0);
    close(spare.sock);
    close(spare.ns);
    if (umount2(path, MNT_DETACH) < 0) die("unmount the namespace file");
    if (unlink(path) < 0) die("remove the namespace file");
    double t2 = now_ms();
    printf("%.4f %.4f\n", t1 - t0, t2 - t1);
  }
  return 0;
}
