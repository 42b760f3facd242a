#!/bin/sh
# Builds the native side of Catena's ring I/O into OUT (called by Maven's compile phase): libcatena_io.so, the
# header, the Python module beside the library (it finds the library there) and the cio-bench tool.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
mkdir -p "$out"
cc="${CC:-gcc}"
flags="-O2 -g -Wall -Wextra -Werror -std=gnu11 -fvisibility=hidden"
$cc $flags -fPIC -shared -Wl,-soname,libcatena_io.so -o "$out/libcatena_io.so.tmp" "$here/catena_io.c"
mv "$out/libcatena_io.so.tmp" "$out/libcatena_io.so"
$cc $flags -o "$out/cio-bench.tmp" "$here/cio_bench.c" -L"$out" -lcatena_io -Wl,-rpath,'$ORIGIN'
mv "$out/cio-bench.tmp" "$out/cio-bench"
cp "$here/catena_io.h" "$out/catena_io.h"
cp "$here/../python/catena_io.py" "$out/catena_io.py"
