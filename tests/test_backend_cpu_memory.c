/* The CPU backend's block cache (src/backend/cpu/cpu_backend.c): alignment and disjointness of
 * blocks of every class (malloc'd, carved from 2 MiB slabs, mapped whole), reuse of freed blocks,
 * the over-budget paths, and memory given back to the OS at destroy. Called through the backend
 * table, as the array layer does. */
#include <unistd.h>

#include "backend/cpu/cpu.h"
#include "testutil.h"

#define MIB ((size_t)1 << 20)

static const genc_backend *bk = &genc_backend_cpu;

/* Resident bytes of this process (/proc/self/statm), or -1 where unavailable. */
static long long rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long long size = 0, res = -1;
  if (!f) return -1;
  if (fscanf(f, "%lld %lld", &size, &res) != 2) res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (long long)sysconf(_SC_PAGESIZE);
}

/* Fill block i (bytes long) with its own pattern; check it is still there. */
static void fill(unsigned char *p, size_t bytes, int i) { memset(p, 0x11 * (i % 15 + 1), bytes); }
static void check(const unsigned char *p, size_t bytes, int i) {
  unsigned char v = (unsigned char)(0x11 * (i % 15 + 1));
  for (size_t k = 0; k < bytes; k += 509)
    if (p[k] != v) fail_msg("block %d overwritten at byte %zu", i, k);
  if (p[bytes - 1] != v) fail_msg("block %d overwritten at its last byte", i);
}

/* Every class from 64 B to 5 MiB (requests growing by 1/8, finer than the classes, which grow
 * by at least 8/7): 64-byte aligned, usable to the last byte, and disjoint from every other live
 * block (a block carved from a slab overlapping its neighbour would overwrite its pattern). Two
 * blocks of each request, so slab classes use several blocks of one slab. */
static void test_classes_aligned_disjoint(void **state) {
  (void)state;
  void *st = bk->create(0, NULL, 0);
  assert_non_null(st);
  enum { NB = 256 };
  unsigned char *blk[NB];
  size_t len[NB];
  int n = 0;
  for (size_t s = 64; s <= 5 * MIB; s += s / 8 + 1)
    for (int k = 0; k < 2; k++) {
      assert_true(n < NB);
      len[n] = s;
      blk[n] = bk->alloc(st, s);
      assert_non_null(blk[n]);
      assert_int_equal((uintptr_t)blk[n] % 64, 0);
      fill(blk[n], s, n);
      n++;
    }
  for (int i = 0; i < n; i++)
    check(blk[i], len[i], i);
  for (int i = 0; i < n; i++)
    bk->free(st, blk[i], len[i]);
  bk->destroy(st);
}

/* A freed block is the next one handed out for its class (cached, LIFO), in each of the three
 * kinds of class: malloc'd (4 KiB), slab (224 KiB) and whole mapping (3 MiB); a request of the
 * same class but another size gets it too. */
static void test_reuse_after_free(void **state) {
  (void)state;
  void *st = bk->create(0, NULL, 0);
  size_t sizes[3] = {4000, 200000, 3 * MIB};
  for (int i = 0; i < 3; i++) {
    void *a = bk->alloc(st, sizes[i]), *b = bk->alloc(st, sizes[i]);
    assert_non_null(a), assert_non_null(b);
    assert_ptr_not_equal(a, b);
    bk->free(st, a, sizes[i]);
    assert_ptr_equal(bk->alloc(st, sizes[i] - 100), a); /* same class, other size */
    bk->free(st, b, sizes[i]);
    bk->free(st, a, sizes[i]);
  }
  bk->destroy(st);
}

/* With a zero budget nothing is cached: a slab block freed gives its pages back and comes back
 * zeroed when reused (it is the same address: the slab stays mapped), a mapped block is unmapped
 * (resident memory falls). */
static void test_over_budget(void **state) {
  (void)state;
  void *st = bk->create(0, NULL, 0);
  genc__cpu_set_cache_budget(st, 0);
  unsigned char *a = bk->alloc(st, 512 * 1024);
  assert_non_null(a);
  memset(a, 0xab, 512 * 1024);
  bk->free(st, a, 512 * 1024);
  unsigned char *b = bk->alloc(st, 512 * 1024);
  assert_ptr_equal(b, a);
  for (size_t k = sizeof(void *); k < 512 * 1024; k += 4096) /* the first word holds a link */
    if (b[k] != 0) fail_msg("byte %zu kept %d after its pages went back", k, b[k]);
  bk->free(st, b, 512 * 1024);

  long long r0 = rss_bytes();
  unsigned char *big = bk->alloc(st, 64 * MIB);
  assert_non_null(big);
  memset(big, 1, 64 * MIB);
  long long r1 = rss_bytes();
  bk->free(st, big, 64 * MIB);
  long long r2 = rss_bytes();
  if (r0 >= 0) {
    assert_true(r1 - r0 >= (long long)(48 * MIB));
    assert_true(r1 - r2 >= (long long)(48 * MIB));
  }
  bk->destroy(st);
}

/* Destroying a backend state gives its memory back: 96 MiB of slab blocks (512 KiB) and mapped
 * blocks (8 MiB), written and freed into the cache, leave the resident size when it is destroyed.
 */
static void test_destroy_returns_memory(void **state) {
  (void)state;
  long long r0 = rss_bytes();
  void *st = bk->create(0, NULL, 0);
  enum { NS = 96, NH = 6 };
  void *s[NS], *h[NH];
  for (int i = 0; i < NS; i++) {
    assert_non_null(s[i] = bk->alloc(st, 512 * 1024));
    memset(s[i], 2, 512 * 1024);
  }
  for (int i = 0; i < NH; i++) {
    assert_non_null(h[i] = bk->alloc(st, 8 * MIB));
    memset(h[i], 3, 8 * MIB);
  }
  long long r1 = rss_bytes();
  for (int i = 0; i < NS; i++)
    bk->free(st, s[i], 512 * 1024);
  for (int i = 0; i < NH; i++)
    bk->free(st, h[i], 8 * MIB);
  bk->destroy(st);
  long long r2 = rss_bytes();
  if (r0 >= 0) {
    assert_true(r1 - r0 >= (long long)(80 * MIB));
    assert_true(r1 - r2 >= (long long)(80 * MIB));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classes_aligned_disjoint),
      cmocka_unit_test(test_reuse_after_free),
      cmocka_unit_test(test_over_budget),
      cmocka_unit_test(test_destroy_returns_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
