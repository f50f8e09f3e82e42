/**
 * @file core.h
 * @brief Layer 2: addresses, choice maps, selections and argument diffs: the
 * data the generative function interface (gfi.h) is built on.
 *
 * **Addresses.** A random choice lives at an address: a path of *components*,
 * each either an interned symbol ("slope") or a non-negative integer index
 * (step 3 of an Unfold). Both are packed into one 64-bit ::genc_comp, so a
 * plain integer `3` *is* the index component 3 and GENC_SYM("y") is a symbol
 * component; comparing or hashing components is comparing integers. A path is
 * an array of components (`const genc_comp *path, int len`); ::genc_addr holds
 * one by value. Printing gives back the user's names: "model/y/3".
 *
 * **Choice maps** are hierarchical maps from components to either a leaf value
 * (a ::genc_array, batched in batched traces) or a sub-map. They are heap
 * objects owned by the caller (genc_choicemap_free()), not scope-managed; a map
 * retains its leaves (genc_array_retain()) and releases them when freed or
 * overwritten, so free every map before destroying the context its arrays
 * belong to. Every read function accepts NULL as the empty map. Lookup of one
 * component in one map is a hash probe and allocates nothing.
 *
 * **Selections** say which addresses an operation (regenerate, project) acts
 * on: all, none, sets of addresses (an address selects everything below it),
 * hierarchical (a selection placed below an address), complement, union and
 * intersection. They are immutable once shared, reference counted, and cheap to
 * query.
 *
 * **Argument diffs** tell update which arguments changed.
 *
 * Functions that can fail take the context, return NULL or a ::genc_status, and
 * leave a message there naming the address. Queries that cannot fail (lookup,
 * has, count) take no context.
 */
#ifndef GENC_CORE_H
#define GENC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genc/array.h"
#include "genc/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Address components and symbols                                      */
/* ------------------------------------------------------------------ */

/**
 * One address component. Values below 2^63 are integer indices (the value is
 * the index); values with the top bit set are interned symbols. Use
 * genc_idx() / GENC_SYM() to make them and genc_comp_is_sym() to tell them
 * apart.
 */
typedef uint64_t genc_comp;

/** A symbol is a component with the top bit set (see genc_sym_intern()). */
typedef genc_comp genc_sym;

/** Top bit: marks a component as a symbol. */
#define GENC_COMP_SYM_BIT ((genc_comp)1 << 63)

/**
 * The invalid component (symbol id 0, never handed out): what genc_sym_intern()
 * returns on failure and genc_idx() returns for a negative index. Every
 * function given it fails with GENC_ERR_ADDRESS (queries answer "absent").
 */
#define GENC_COMP_INVALID GENC_COMP_SYM_BIT

/**
 * Intern @p name: the same string always gives the same symbol, for the life
 * of the process. The intern table is the one process-wide structure of genc:
 * it is append-only (a symbol and its name are never freed or moved) and
 * guarded by a mutex, so any thread may intern at any time. Returns
 * GENC_COMP_INVALID for NULL, an empty name, a name containing '/' (the path
 * separator), a name made only of digits (it would print like an index), or
 * when out of memory. Costs a hash lookup under the lock: in
 * hot code use GENC_SYM(), which interns once per call site.
 */
genc_sym genc_sym_intern(const char *name);

/** genc_sym_intern() of the first @p len bytes of @p name (need not be NUL-terminated). */
genc_sym genc_sym_intern_n(const char *name, size_t len);

/**
 * The name a symbol was interned from (valid for the life of the process), or
 * NULL if @p s is not a valid symbol.
 */
const char *genc_sym_name(genc_sym s);

/** Number of symbols interned so far in this process. */
int64_t genc_sym_count(void);

/**
 * GENC_SYM("name"): the symbol for a string literal, interned the first time
 * this call site runs and cached in a function-local static afterwards (one
 * atomic load per use). The argument must be a string literal (enforced: it is
 * pasted next to ""), because the cache belongs to the call site; intern
 * run-time strings with genc_sym_intern(). Uses a GNU statement expression
 * (GCC, Clang); other compilers fall back to calling genc_sym_intern() each time.
 */
#if defined(__GNUC__) || defined(__clang__)
#define GENC_SYM(name)                                                                             \
  __extension__({                                                                                  \
    static genc_sym genc__sym_cache;                                                               \
    genc_sym genc__sym = __atomic_load_n(&genc__sym_cache, __ATOMIC_ACQUIRE);                      \
    if (!genc__sym) {                                                                              \
      genc__sym = genc_sym_intern("" name "");                                                     \
      __atomic_store_n(&genc__sym_cache, genc__sym, __ATOMIC_RELEASE);                             \
    }                                                                                              \
    genc__sym;                                                                                     \
  })
#else
#define GENC_SYM(name) genc_sym_intern("" name "")
#endif

/** The index component @p i (GENC_COMP_INVALID if i < 0). */
static inline genc_comp genc_idx(int64_t i) { return i >= 0 ? (genc_comp)i : GENC_COMP_INVALID; }

/** True if @p c is a symbol component (valid or not). */
static inline bool genc_comp_is_sym(genc_comp c) { return (c & GENC_COMP_SYM_BIT) != 0; }

/** The index of an index component (-1 for a symbol). */
static inline int64_t genc_comp_index(genc_comp c) { return genc_comp_is_sym(c) ? -1 : (int64_t)c; }

/**
 * Write component @p c ("slope", "3"; "<invalid>" for an invalid one) into
 * @p buf of @p cap bytes, snprintf-style: returns the length it needs.
 */
int genc_comp_format(genc_comp c, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Paths                                                               */
/* ------------------------------------------------------------------ */

/**
 * Longest path genc handles: paths, genc_addr, genc_choicemap_set_path(),
 * genc_selection_add_path(), genc_choicemap_foreach(). Maps built by moving
 * sub-maps in (genc_choicemap_set_submap(), _submap_mut()) and selections built
 * by nesting (genc_selection_add_sub(), operators) may nest deeper: free,
 * copy, merge, equality, counting, printing, JSON and every selection query
 * walk them iteratively (heap memory, not the C stack), at any depth.
 */
#define GENC_ADDR_MAX 32

/**
 * The one depth limit of a recursive walk: genc_choicemap_filter() fails with
 * GENC_ERR_ARG when the map and the selection both nest deeper than this below
 * an address the selection selects only in part. (genc_selection_format()
 * prints parts nested deeper than 64 as "...".)
 */
#define GENC_RECURSION_MAX 1000

/**
 * A path held by value: components comp[0..len). No heap memory, so it can be
 * pushed and popped freely on hot paths (a runtime tracking where a splice is).
 */
typedef struct genc_addr {
  int len;                       /**< number of components */
  genc_comp comp[GENC_ADDR_MAX]; /**< components, outermost first */
} genc_addr;

/**
 * GENC_PATH(c0, c1, ...): expands to the two arguments `path, len` of a path
 * literal, e.g. `genc_choicemap_get_path(ctx, cm, GENC_PATH(GENC_SYM("y"), 3))`.
 * Only for calls of functions (not of function-like macros).
 */
#define GENC_PATH(...)                                                                             \
  (const genc_comp[]){__VA_ARGS__},                                                                \
      (int)(sizeof((const genc_comp[]){__VA_ARGS__}) / sizeof(genc_comp))

/**
 * Write a path as "model/y/3" into @p buf of @p cap bytes, snprintf-style
 * (returns the length needed). The empty path prints as "" .
 */
int genc_addr_format(const genc_comp *path, int len, char *buf, size_t cap);

/**
 * Parse "model/y/3" into @p out: parts made only of digits become indices, the
 * others symbols (interned). "" is the empty path. Fails (GENC_ERR_ADDRESS) on
 * an empty part ("a//b"), more than GENC_ADDR_MAX parts, or an index >= 2^63;
 * GENC_ERR_ARG for a NULL string or @p out. Use:
 * @code
 * genc_addr a;
 * if (genc_addr_parse(ctx, "t/3/y", &a)) return ...;   // message in ctx
 * genc_array *v = genc_choicemap_get_path(ctx, cm, a.comp, a.len);
 * @endcode
 * or the string forms genc_choicemap_get_str(), genc_choicemap_set_str(),
 * genc_selection_add_str(), genc_selection_has_str().
 */
genc_status genc_addr_parse(genc_ctx *ctx, const char *str, genc_addr *out);

/* ------------------------------------------------------------------ */
/* Choice maps                                                         */
/* ------------------------------------------------------------------ */

/**
 * A hierarchical choice map. Each node holds either a value (a leaf) or
 * children keyed by component (kept in insertion order, which removal keeps
 * for the others; re-adding a removed component puts it last), never both.
 * The root may itself be a leaf: that is the choice map of a single
 * distribution (genc_choicemap_value()). Removing a child is O(1) amortized.
 */
typedef struct genc_choicemap genc_choicemap;

/** A new, empty choice map owned by the caller. NULL (GENC_ERR_NOMEM) on failure. */
genc_choicemap *genc_choicemap_new(genc_ctx *ctx);

/**
 * Free a map made by genc_choicemap_new(), _copy(), _merge() or _filter(),
 * releasing its leaves. NULL is a no-op, and so is a sub-map view (from
 * genc_choicemap_submap() and friends): those belong to their root. Linear
 * time and no recursion at any nesting depth.
 */
void genc_choicemap_free(genc_choicemap *cm);

/** Deep copy of the structure (leaves are shared, retained). NULL @p cm copies as empty. */
genc_choicemap *genc_choicemap_copy(genc_ctx *ctx, const genc_choicemap *cm);

/**
 * Set the value at child @p c of @p cm to @p v (retained; a value it replaces
 * is released). Whatever was at @p c, a value or a whole sub-map, is replaced.
 * Fails with GENC_ERR_ARG for a NULL map or value (a NULL value from a failed
 * op keeps its own message), GENC_ERR_ADDRESS for an invalid component, or if
 * @p cm is itself a leaf.
 */
genc_status genc_choicemap_set(genc_ctx *ctx, genc_choicemap *cm, genc_comp c, genc_array *v);

/**
 * Set the value at @p path (@p len >= 0 components). Missing nodes on the way
 * are made; a leaf met on the way is replaced by a sub-map (as in a dictionary
 * update, the newest write wins). len == 0 sets the root value of an empty or
 * leaf map.
 */
genc_status genc_choicemap_set_path(genc_ctx *ctx, genc_choicemap *cm, const genc_comp *path,
                                    int len, genc_array *v);

/**
 * The value at child @p c, or NULL if there is none (absent, or a sub-map).
 * Never records an error and never allocates: this is the hot-path lookup.
 */
genc_array *genc_choicemap_lookup(const genc_choicemap *cm, genc_comp c);

/** The value at @p path, or NULL (no error recorded). len == 0: the root value. */
genc_array *genc_choicemap_lookup_path(const genc_choicemap *cm, const genc_comp *path, int len);

/**
 * The value at child @p c. If there is none, returns NULL and fails with
 * GENC_ERR_ADDRESS: "choice map has no value at address y (it holds a
 * sub-map; ...)" or "...has no address y".
 */
genc_array *genc_choicemap_get(genc_ctx *ctx, const genc_choicemap *cm, genc_comp c);

/** genc_choicemap_get() at a path; the message names the whole path ("model/y/3"). */
genc_array *genc_choicemap_get_path(genc_ctx *ctx, const genc_choicemap *cm, const genc_comp *path,
                                    int len);

/**
 * genc_choicemap_get_path() at the address written as a string, "t/3/y"
 * (parsed by genc_addr_parse(): digit-only parts are indices). NULL on error:
 * GENC_ERR_ADDRESS for a string that does not parse or an absent address,
 * GENC_ERR_ARG for a NULL string.
 */
genc_array *genc_choicemap_get_str(genc_ctx *ctx, const genc_choicemap *cm, const char *addr);

/** genc_choicemap_set_path() at the address written as a string ("t/3/y"; "" is the root). */
genc_status genc_choicemap_set_str(genc_ctx *ctx, genc_choicemap *cm, const char *addr,
                                   genc_array *v);

/** The root value of a leaf map (the choice map of one distribution), else NULL. */
genc_array *genc_choicemap_value(const genc_choicemap *cm);

/** True if there is a value (not a sub-map) at child @p c. */
bool genc_choicemap_has(const genc_choicemap *cm, genc_comp c);

/** True if there is a value at @p path (false for a NULL @p path with len > 0). */
bool genc_choicemap_has_path(const genc_choicemap *cm, const genc_comp *path, int len);

/**
 * The sub-map at child @p c (a leaf at @p c is returned as a leaf map), or NULL
 * (= empty) if absent. A borrowed view into @p cm; O(1), no allocation. Valid
 * until a child is added to or removed from @p cm or a map above it (children
 * are stored inline, so that may move them), or the root is freed. Writing
 * values *inside* the view keeps it valid.
 */
const genc_choicemap *genc_choicemap_submap(const genc_choicemap *cm, genc_comp c);

/** The sub-map at @p path (len == 0: @p cm itself), or NULL. Borrowed, as above. */
const genc_choicemap *genc_choicemap_submap_path(const genc_choicemap *cm, const genc_comp *path,
                                                 int len);

/**
 * The sub-map at child @p c for writing, made empty if absent: how a runtime
 * fills the choices of a splice in place. Replaces a leaf at @p c by an empty
 * sub-map. Borrowed, as genc_choicemap_submap(). NULL on error.
 */
genc_choicemap *genc_choicemap_submap_mut(genc_ctx *ctx, genc_choicemap *cm, genc_comp c);

/**
 * Move the whole map @p sub to child @p c of @p cm, replacing what was there,
 * in O(1) (when @p cm is itself a view, plus a walk over the sub-maps of @p sub
 * that rules out a cycle). Takes ownership of @p sub (do not free it afterwards, even on
 * failure). A @p sub without children or value removes @p c (one holding only
 * empty sub-maps is moved in: empty sub-maps are invisible to every read).
 * Moving a map into itself or below itself (@p cm is @p sub or a view inside
 * it) fails with GENC_ERR_ARG and leaves @p sub with the caller; so does a view
 * as @p sub.
 */
genc_status genc_choicemap_set_submap(genc_ctx *ctx, genc_choicemap *cm, genc_comp c,
                                      genc_choicemap *sub);

/**
 * Remove child @p c (value or sub-map): O(1) amortized; the other children keep
 * their order. Invalidates views of children of @p cm. Returns true if
 * something was removed.
 */
bool genc_choicemap_remove(genc_choicemap *cm, genc_comp c);

/**
 * Remove the value or sub-map at @p path; sub-maps left empty on the way are
 * removed too. Returns true if something was removed.
 */
bool genc_choicemap_remove_path(genc_choicemap *cm, const genc_comp *path, int len);

/** True if the map has no values at all (NULL is empty). */
bool genc_choicemap_is_empty(const genc_choicemap *cm);

/** Number of direct children (0 for a leaf map or NULL). */
int64_t genc_choicemap_count(const genc_choicemap *cm);

/**
 * Child number @p i (0 <= i < count, in insertion order): its component goes to
 * @p comp (if not NULL), the child itself (a leaf map or a sub-map, borrowed)
 * is returned. NULL if @p i is out of range. With genc_choicemap_value() this
 * walks a map without callbacks or allocation. O(1); O(log count) after
 * removals, until the map compacts its index.
 */
const genc_choicemap *genc_choicemap_child(const genc_choicemap *cm, int64_t i, genc_comp *comp);

/** Number of values (leaves) in the whole map (-1 if out of memory for the walk). */
int64_t genc_choicemap_num_values(const genc_choicemap *cm);

/**
 * Callback of genc_choicemap_foreach(): one value with its full path (valid
 * during the call). Return nonzero to stop.
 */
typedef int (*genc_choicemap_visit_fn)(const genc_comp *path, int len, genc_array *value,
                                       void *user);

/**
 * Call @p fn on every value, depth first, children in insertion order. Returns
 * the first nonzero value @p fn returned, else 0; -1 (without calling @p fn
 * further) if the map nests deeper than GENC_ADDR_MAX.
 */
int genc_choicemap_foreach(const genc_choicemap *cm, genc_choicemap_visit_fn fn, void *user);

/** How genc_choicemap_merge() resolves an address present in both maps. */
typedef enum genc_merge_mode {
  /**
   * Right wins (a dictionary update): where both maps hold sub-maps they merge
   * recursively; anywhere else @p b's entry (value or sub-map) replaces @p a's.
   * merge(a, empty) == merge(empty, a) == a.
   */
  GENC_MERGE_RIGHT = 0,
  /**
   * Gen.jl's rule: the maps must be disjoint. An address holding a value in one
   * map and anything in the other is an error (GENC_ERR_ADDRESS naming it).
   */
  GENC_MERGE_DISJOINT = 1
} genc_merge_mode;

/** A new map holding @p a merged with @p b by @p mode (NULLs are empty maps). */
genc_choicemap *genc_choicemap_merge(genc_ctx *ctx, const genc_choicemap *a,
                                     const genc_choicemap *b, genc_merge_mode mode);

/**
 * Merge @p src into @p dst in place by @p mode (dst plays the left map). On a
 * GENC_MERGE_DISJOINT conflict @p dst may be left partly merged. @p src may
 * alias @p dst or a part of it (or be an ancestor of a view @p dst): it is
 * read as it was before the call. So merging a map into itself is a no-op
 * under GENC_MERGE_RIGHT and, unless the map is empty, an overlap error under
 * GENC_MERGE_DISJOINT; merging a child of @p dst into @p dst adds the child's
 * addresses at the top too.
 */
genc_status genc_choicemap_merge_into(genc_ctx *ctx, genc_choicemap *dst, const genc_choicemap *src,
                                      genc_merge_mode mode);

/**
 * Equality of structure and values: the same addresses, and at each the same
 * dtype, shape, particle count and elements (NaN equals NaN). Child order does
 * not matter. Reads values back to the host (not for hot paths). On a read
 * failure returns false with the context's message set.
 */
bool genc_choicemap_equal(genc_ctx *ctx, const genc_choicemap *a, const genc_choicemap *b);

/**
 * Human-readable text, one value per line, indented by depth:
 * @code
 * slope = 1.5
 * y
 *   0 = 0.25
 *   1 = [1, 2]
 * @endcode
 * Empty sub-maps are not shown. Lines nested deeper than 32 levels keep 32
 * levels of indent and say their depth ("[depth 40] y = 1"), so the text stays
 * linear in the size of the map.
 * Written into @p buf of @p cap bytes snprintf-style: returns the length needed
 * (excluding the NUL), or -1 on error (message in @p ctx).
 */
int genc_choicemap_format(genc_ctx *ctx, const genc_choicemap *cm, char *buf, size_t cap);

/** genc_choicemap_format() into a new malloc'ed string (free() it); NULL on error. */
char *genc_choicemap_to_string(genc_ctx *ctx, const genc_choicemap *cm);

/**
 * JSON export, as a new malloc'ed string (free() it); NULL on error. Sub-maps
 * are objects keyed by component ("slope", index 3 as "3"); a value is a
 * number (0-d shared), or nested arrays of its shape, with the particle axis
 * outermost when batched; bools are true/false, i32 integers; NaN and
 * infinities, which JSON lacks, are the strings "NaN", "Infinity", "-Infinity".
 * A leaf root is its value alone; the empty map is {}; empty sub-maps are
 * left out. @p pretty puts members on their own lines, indented by a tab per
 * level up to 32 levels (deeper lines keep 32: still valid JSON). Any nesting
 * depth is written (the text is built iteratively; note that parsers such as
 * cJSON refuse input nested deeper than their own limit, 1000 for cJSON).
 */
char *genc_choicemap_to_json(genc_ctx *ctx, const genc_choicemap *cm, bool pretty);

/* ------------------------------------------------------------------ */
/* Selections                                                          */
/* ------------------------------------------------------------------ */

/**
 * A selection of addresses. has(s, p) answers for the choice *at* address p
 * (a leaf of a choice map), and has(s, p ++ q) == has(sub(s, p), q).
 * Selecting an address selects every choice below it (Gen.jl); the
 * subselection of a set at an address it does not mention is none. The
 * operators are pointwise: has(!s, p) == !has(s, p), and so on.
 */
typedef struct genc_selection genc_selection;

/** The selection of everything (a static object: free is a no-op). */
genc_selection *genc_selection_all(void);

/** The empty selection (a static object: free is a no-op). */
genc_selection *genc_selection_none(void);

/**
 * A new, empty set selection to fill with genc_selection_add*(); once passed to
 * a combinator or a GFI call, do not change it. NULL on GENC_ERR_NOMEM.
 */
genc_selection *genc_selection_new(genc_ctx *ctx);

/**
 * Select child @p c and everything below it. @p sel must come from
 * genc_selection_new() and not be shared: once retained, or passed to an
 * operator (union, ...) or as a sub-selection, adding to it fails with
 * GENC_ERR_ARG (this also rules out cycles).
 */
genc_status genc_selection_add(genc_ctx *ctx, genc_selection *sel, genc_comp c);

/** Select the address @p path and everything below it (len == 0 selects all). */
genc_status genc_selection_add_path(genc_ctx *ctx, genc_selection *sel, const genc_comp *path,
                                    int len);

/** genc_selection_add_path() at the address written as a string ("t/3/y"; genc_addr_parse()). */
genc_status genc_selection_add_str(genc_ctx *ctx, genc_selection *sel, const char *addr);

/**
 * Hierarchical selection: below @p path, select what @p sub selects (retained).
 * Adding at an address already selected whole keeps it whole; adding twice at
 * one address selects the union. @p sub may not be @p sel (GENC_ERR_ARG).
 */
genc_status genc_selection_add_sub(genc_ctx *ctx, genc_selection *sel, const genc_comp *path,
                                   int len, genc_selection *sub);

/** Every address that has a value in @p cm (each selected with all below it). */
genc_selection *genc_selection_from_choicemap(genc_ctx *ctx, const genc_choicemap *cm);

/** Complement: has(result, p) == !has(s, p) at every address. Operands are retained. */
genc_selection *genc_selection_complement(genc_ctx *ctx, genc_selection *s);

/** Union: has(result, p) == has(a, p) || has(b, p). Operands are retained. */
genc_selection *genc_selection_union(genc_ctx *ctx, genc_selection *a, genc_selection *b);

/** Intersection: has(result, p) == has(a, p) && has(b, p). Operands are retained. */
genc_selection *genc_selection_intersection(genc_ctx *ctx, genc_selection *a, genc_selection *b);

/** Take a reference (NULL-safe); returns @p s. */
genc_selection *genc_selection_retain(genc_selection *s);

/**
 * Drop a reference; the last one frees the selection (and the parts only it
 * held, iteratively at any depth). NULL is a no-op.
 */
void genc_selection_release(genc_selection *s);

/** Is the choice at child @p c selected? NULL selects nothing. */
bool genc_selection_has(const genc_selection *s, genc_comp c);

/**
 * Is the choice at @p path selected? len == 0 asks about a choice at the root
 * (the value of a leaf choice map: a distribution's own choice). False for a
 * NULL @p path with len > 0 or a negative len. Queries walk the selection
 * iteratively: any nesting of operators works (a union folded over 30,000
 * selections answers in time linear in its size).
 */
bool genc_selection_has_path(const genc_selection *s, const genc_comp *path, int len);

/**
 * genc_selection_has_path() at the address written as a string ("t/3/y"); false
 * for a string that genc_addr_parse() rejects (or NULL).
 */
bool genc_selection_has_str(const genc_selection *s, const char *addr);

/**
 * The subselection at child @p c: what @p s selects below @p c, as a new
 * reference (genc_selection_release() it). Allocates nothing for all, none and
 * sets; a complement, union or intersection allocates only when its parts do
 * not simplify to all or none. NULL on GENC_ERR_NOMEM.
 */
genc_selection *genc_selection_sub(genc_ctx *ctx, const genc_selection *s, genc_comp c);

/**
 * True if @p s provably selects no address (none, an empty set, a complement
 * of all, ...). Conservative for intersections: false means "maybe something".
 * The GFI uses it for the empty-selection fast path.
 */
bool genc_selection_is_none(const genc_selection *s);

/** True if @p s provably selects every address. Conservative like genc_selection_is_none(). */
bool genc_selection_is_all(const genc_selection *s);

/**
 * The values of @p cm at selected addresses, as a new map (NULL on error).
 * Useful for project and for discards.
 */
genc_choicemap *genc_choicemap_filter(genc_ctx *ctx, const genc_choicemap *cm,
                                      const genc_selection *s);

/**
 * Text of a selection for messages and debugging: "all", "none", "{a, b/3}",
 * "{y: <sub>}", "!(...)", "(... | ...)", "(... & ...)". snprintf-style.
 */
int genc_selection_format(const genc_selection *s, char *buf, size_t cap);

/* ------------------------------------------------------------------ */
/* Argument diffs                                                      */
/* ------------------------------------------------------------------ */

/** What update knows about how one argument changed. */
typedef enum genc_diff_kind {
  GENC_DIFF_UNKNOWN = 0,   /**< may have changed in any way (the safe default) */
  GENC_DIFF_NO_CHANGE = 1, /**< identical to the previous call's argument */
  GENC_DIFF_INT = 2,       /**< an integer argument changed by genc_argdiff::delta */
  GENC_DIFF_VECTOR = 3     /**< only the listed elements (leading axis) of a vector changed */
} genc_diff_kind;

/**
 * The diff of one argument. Update takes a vector of them, one per argument
 * (`const genc_argdiff *argdiffs, int nargs`); a NULL vector means every
 * argument is GENC_DIFF_UNKNOWN. The zero value is "unknown".
 */
typedef struct genc_argdiff {
  genc_diff_kind kind;    /**< what is known */
  int64_t delta;          /**< GENC_DIFF_INT: new value - old value; else 0 */
  const int64_t *changed; /**< GENC_DIFF_VECTOR: indices of the changed elements (borrowed) */
  int64_t nchanged;       /**< GENC_DIFF_VECTOR: number of entries in @p changed */
} genc_argdiff;

/** The diff "no change". */
static inline genc_argdiff genc_nochange(void) {
  genc_argdiff d = {.kind = GENC_DIFF_NO_CHANGE};
  return d;
}

/** The diff "unknown change". */
static inline genc_argdiff genc_unknown(void) {
  genc_argdiff d = {.kind = GENC_DIFF_UNKNOWN};
  return d;
}

/** The diff of an integer argument that changed by @p delta (0 is no change). */
static inline genc_argdiff genc_intdiff(int64_t delta) {
  genc_argdiff d = {.kind = delta ? GENC_DIFF_INT : GENC_DIFF_NO_CHANGE, .delta = delta};
  return d;
}

/**
 * The diff of an array argument of which only elements @p changed[0..count)
 * along the leading axis changed (what Map, Scan and Vmap read; other
 * functions treat it as unknown). Elements at or beyond the old length are new
 * whether listed or not; indices outside the new length are ignored. The list
 * is borrowed: it must stay valid until the update or regenerate call returns.
 * count == 0 with the same length means no element changed.
 */
static inline genc_argdiff genc_vectordiff(const int64_t *changed, int64_t count) {
  genc_argdiff d = {.kind = GENC_DIFF_VECTOR, .changed = changed, .nchanged = count};
  return d;
}

/** True if argument @p i is known unchanged (NULL @p d: false). */
bool genc_argdiff_unchanged(const genc_argdiff *d, int i);

/** True if all @p n argument diffs are GENC_DIFF_NO_CHANGE (NULL: false; n == 0: true). */
bool genc_argdiffs_all_unchanged(const genc_argdiff *d, int n);

/** Fill @p d[0..n) with @p v (e.g. genc_nochange()). */
void genc_argdiffs_fill(genc_argdiff *d, int n, genc_argdiff v);

/** Name of a diff kind ("unknown", "no-change", "int", "vector"). */
const char *genc_diff_kind_name(genc_diff_kind k);

#ifdef __cplusplus
}
#endif
#endif
