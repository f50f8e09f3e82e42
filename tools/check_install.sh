#!/usr/bin/env bash
# Install a build tree into a temporary prefix and build a user program against it with
# pkg-config, as a user would. Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
cat > "$prefix/prog.c" <<'C'
#include <genc.h>
#include <stdio.h>
int main(void) {
  genc_ctx *ctx = genc_ctx_new(NULL, NULL);
  double v = 0;
  genc_array *x = genc_add(ctx, genc_scalar(ctx, 40.0), 2.0);
  int bad = !x || genc_array_item(ctx, x, &v) || v != 42.0;
  genc_ctx_free(ctx);
  puts(bad ? "install check: wrong" : "install check: ok");
  return bad;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046
cc -std=c17 "$prefix/prog.c" -o "$prefix/prog" $(pkg-config --cflags --libs genc)
# a shared libgenc (BUILD_SHARED_LIBS=ON) is found in the prefix, as an installed one would be
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib64:$prefix/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}" "$prefix/prog"
