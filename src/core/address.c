/* Address components and paths: printing and parsing. */
#include <stdio.h>
#include <string.h>

#include "genc/core.h"

int genc_comp_format(genc_comp c, char *buf, size_t cap) {
  if (!buf) cap = 0; /* NULL: just measure */
  if (!genc_comp_is_sym(c)) return snprintf(buf, cap, "%lld", (long long)c);
  const char *name = genc_sym_name(c);
  return snprintf(buf, cap, "%s", name ? name : "<invalid>");
}

int genc_addr_format(const genc_comp *path, int len, char *buf, size_t cap) {
  size_t k = 0;
  if (!buf) cap = 0;
  if (cap) buf[0] = 0;
  if (!path || len < 0) len = 0; /* a NULL path prints as the empty one */
  for (int i = 0; i < len; i++) {
    if (i) k += (size_t)snprintf(k < cap ? buf + k : NULL, k < cap ? cap - k : 0, "/");
    k += (size_t)genc_comp_format(path[i], k < cap ? buf + k : NULL, k < cap ? cap - k : 0);
  }
  return (int)k;
}

/* One part of a path: an index if all digits, else a symbol. */
static genc_comp parse_part(const char *s, size_t n) {
  bool digits = true;
  for (size_t i = 0; i < n; i++)
    digits = digits && s[i] >= '0' && s[i] <= '9';
  if (!digits) return genc_sym_intern_n(s, n);
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (v > (UINT64_C(1) << 63) / 10) return GENC_COMP_INVALID;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  return v < (UINT64_C(1) << 63) ? v : GENC_COMP_INVALID;
}

genc_status genc_addr_parse(genc_ctx *ctx, const char *str, genc_addr *out) {
  if (!str || !out)
    return genc_ctx_fail(ctx, GENC_ERR_ARG, "genc_addr_parse: NULL %s", str ? "out" : "string");
  out->len = 0;
  if (!*str) return GENC_OK;
  for (const char *p = str;;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 0)
      return genc_ctx_fail(ctx, GENC_ERR_ADDRESS, "genc_addr_parse: empty part in address \"%s\"",
                           str);
    if (out->len == GENC_ADDR_MAX)
      return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                           "genc_addr_parse: address \"%s\" has more than %d parts", str,
                           GENC_ADDR_MAX);
    genc_comp c = parse_part(p, n);
    if (c == GENC_COMP_INVALID)
      return genc_ctx_fail(ctx, GENC_ERR_ADDRESS,
                           "genc_addr_parse: part \"%.*s\" of address \"%s\" is not a valid name "
                           "or index",
                           (int)n, p, str);
    out->comp[out->len++] = c;
    if (!e) return GENC_OK;
    p = e + 1;
  }
}
