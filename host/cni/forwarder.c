/*
 * wasmnet's CNI plugin as runtimes run it: a small C program (`npm run install-cli` compiles it
 * with the system cc) that forwards the call to the daemon's POST /v1/cni over its unix socket
 * and prints the daemon's answer, so no Node starts per ADD or DEL. VERSION is answered here.
 * When the daemon cannot be reached or does not take the call (an older daemon, a body over
 * its limit), it runs the Node plugin instead with the same environment and stdin, which then
 * gives the spec's error or does the call through the REST API.
 *
 * forwarder-config.h (written by the installer) defines WASMNET_MARK, VERSION_ANSWER,
 * NODE_PATH, CNI_MAIN and DEFAULT_SOCKET as string literals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "forwarder-config.h"

/* Kept in the binary: the installer replaces or removes only files that hold it. */
const char wasmnet_mark[] = WASMNET_MARK;

/* As long as the Node plugin waits for the daemon. */
#define ANSWER_TIMEOUT_S 30

static const char *const CNI_VARIABLES[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
                                            "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"};

struct buffer {
  char *data;
  size_t len, cap;
};

static void append(struct buffer *b, const char *data, size_t len) {
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (b->len + len + 1 > cap) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) abort();
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

static void append_str(struct buffer *b, const char *text) { append(b, text, strlen(text)); }

/* A JSON string literal of `len` bytes of `text`. */
static void append_json_string(struct buffer *b, const char *text, size_t len) {
  append(b, "\"", 1);
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c == '"' || c == '\\') {
      char escaped[2] = {'\\', (char)c};
      append(b, escaped, 2);
    } else if (c < 0x20) {
      char escaped[7];
      snprintf(escaped, sizeof escaped, "\\u%04x", c);
      append(b, escaped, 6);
    } else {
      append(b, (const char *)&c, 1);
    }
  }
  append(b, "\"", 1);
}

/* Runs the Node plugin with this environment and `input` as its stdin (a memfd: any size). */
static int run_node_plugin(const struct buffer *input) {
  int fd = memfd_create("wasmnet-cni-stdin", 0);
  if (fd >= 0) {
    size_t done = 0;
    while (done < input->len) {
      ssize_t n = write(fd, input->data + done, input->len - done);
      if (n <= 0) break;
      done += (size_t)n;
    }
    if (done == input->len && lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, 0) == 0) {
      char *const argv[] = {(char *)NODE_PATH, (char *)CNI_MAIN, NULL};
      execv(NODE_PATH, argv);
    }
  }
  printf("{\"cniVersion\":\"1.0.0\",\"code\":50,\"msg\":\"cannot run the wasmnet CNI plugin %s: %s\"}\n", CNI_MAIN,
         strerror(errno));
  return 1;
}

/* JSON scanning, just enough to find the configuration's top-level "socket" string. */
static size_t skip_space(const char *s, size_t n, size_t i) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  return i;
}

/* Past the string starting at s[i] == '"'; `escaped` tells whether it held a backslash. */
static size_t skip_string(const char *s, size_t n, size_t i, int *escaped) {
  for (i++; i < n && s[i] != '"'; i++) {
    if (s[i] == '\\') {
      *escaped = 1;
      i++;
    }
  }
  return i < n ? i + 1 : n;
}

/* Past one value starting at s[i]. */
static size_t skip_value(const char *s, size_t n, size_t i) {
  int depth = 0, escaped = 0;
  while (i < n) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, n, i, &escaped);
    } else if (c == '{' || c == '[') {
      depth++;
      i++;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;
      depth--;
      i++;
    } else if (c == ',' && depth == 0) {
      return i;
    } else {
      i++;
    }
    if (depth == 0 && (c == '"' || c == '}' || c == ']')) return i;
  }
  return n;
}

enum found { ABSENT, FOUND, UNSURE };

/*
 * The top-level string member `key` of the JSON object in s: FOUND (copied to out), ABSENT
 * (also for a document that is not an object: the daemon gives the error), or UNSURE (escaped
 * or too long: left to the Node plugin).
 */
static enum found top_level_string(const char *s, size_t n, const char *key, char *out, size_t out_size) {
  size_t i = skip_space(s, n, 0);
  if (i >= n || s[i] != '{') return ABSENT;
  i = skip_space(s, n, i + 1);
  while (i < n && s[i] == '"') {
    int escaped = 0;
    size_t key_start = i + 1;
    i = skip_string(s, n, i, &escaped);
    size_t key_len = i - key_start - 1;
    int wanted = !escaped && key_len == strlen(key) && memcmp(s + key_start, key, key_len) == 0;
    i = skip_space(s, n, i);
    if (i >= n || s[i] != ':') return ABSENT;
    i = skip_space(s, n, i + 1);
    if (wanted) {
      if (i >= n || s[i] != '"') return ABSENT;
      size_t value_start = i + 1;
      escaped = 0;
      size_t end = skip_string(s, n, i, &escaped);
      size_t value_len = end - value_start - 1;
      if (escaped || value_len >= out_size) return UNSURE;
      memcpy(out, s + value_start, value_len);
      out[value_len] = '\0';
      return FOUND;
    }
    i = skip_space(s, n, skip_value(s, n, i));
    if (i >= n || s[i] != ',') return ABSENT;
    i = skip_space(s, n, i + 1);
  }
  return ABSENT;
}

/* Sends all of `b`; 0 when it went. */
static int send_all(int fd, const struct buffer *b) {
  size_t done = 0;
  while (done < b->len) {
    ssize_t n = send(fd, b->data + done, b->len - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

int main(void) {
  const char *command = getenv("CNI_COMMAND");
  if (command != NULL && strcmp(command, "VERSION") == 0) {
    puts(VERSION_ANSWER);
    return 0;
  }
  struct buffer input = {0};
  if (!isatty(0)) {
    char chunk[65536];
    ssize_t n;
    while ((n = read(0, chunk, sizeof chunk)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      append(&input, chunk, (size_t)n);
    }
  }
  if (input.data == NULL) append(&input, "", 0);

  struct sockaddr_un address = {.sun_family = AF_UNIX};
  switch (top_level_string(input.data, input.len, "socket", address.sun_path, sizeof address.sun_path)) {
    case UNSURE:
      return run_node_plugin(&input);
    case ABSENT:
      snprintf(address.sun_path, sizeof address.sun_path, "%s", DEFAULT_SOCKET);
      break;
    case FOUND:
      break;
  }
  char version[32] = "1.0.0";
  if (top_level_string(input.data, input.len, "cniVersion", version, sizeof version) != FOUND)
    snprintf(version, sizeof version, "1.0.0");

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return run_node_plugin(&input);

  struct buffer body = {0};
  append_str(&body, "{\"env\":{");
  int first = 1;
  for (size_t i = 0; i < sizeof CNI_VARIABLES / sizeof *CNI_VARIABLES; i++) {
    const char *value = getenv(CNI_VARIABLES[i]);
    if (value == NULL) continue;
    if (!first) append_str(&body, ",");
    first = 0;
    append_json_string(&body, CNI_VARIABLES[i], strlen(CNI_VARIABLES[i]));
    append_str(&body, ":");
    append_json_string(&body, value, strlen(value));
  }
  append_str(&body, "},\"stdin\":");
  append_json_string(&body, input.data, input.len);
  append_str(&body, "}");
  struct buffer request = {0};
  char head[256];
  snprintf(head, sizeof head,
           "POST /v1/cni HTTP/1.1\r\nhost: wasmnet\r\nconnection: close\r\n"
           "content-type: application/json\r\ncontent-length: %zu\r\n\r\n",
           body.len);
  append_str(&request, head);
  append(&request, body.data, body.len);
  if (send_all(fd, &request) != 0) return run_node_plugin(&input);

  struct timeval timeout = {.tv_sec = ANSWER_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct buffer answer = {0};
  for (;;) {
    char chunk[65536];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      /* The daemon has the call: running it again through Node could do it twice. */
      printf("{\"cniVersion\":\"%s\",\"code\":11,\"msg\":\"no answer from the wasmnet daemon at %s: %s\"}\n",
             version, address.sun_path, strerror(errno));
      return 1;
    }
    append(&answer, chunk, (size_t)n);
  }
  close(fd);

  char *end = answer.data == NULL ? NULL : strstr(answer.data, "\r\n\r\n");
  int status = 0;
  if (end == NULL || sscanf(answer.data, "HTTP/1.%*d %d", &status) != 1 || status != 200)
    return run_node_plugin(&input);
  *end = '\0';
  int exit_code = -1;
  long length = -1;
  for (char *line = strstr(answer.data, "\r\n"); line != NULL; line = strstr(line, "\r\n")) {
    line += 2;
    if (strncasecmp(line, "cni-exit-code:", 14) == 0) exit_code = atoi(line + 14);
    if (strncasecmp(line, "content-length:", 15) == 0) length = atol(line + 15);
  }
  const char *content = end + 4;
  size_t available = answer.len - (size_t)(content - answer.data);
  if (exit_code < 0 || length < 0 || (size_t)length > available) return run_node_plugin(&input);
  fwrite(content, 1, (size_t)length, stdout);
  return exit_code;
}
