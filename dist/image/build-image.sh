#!/usr/bin/env bash
# Builds Catena's OCI image from scratch with buildah (no base image, no registry): a jlink'ed JDK 25 runtime with the
# modules Catena uses, the runnable archive and its libraries, fusermount3 and setpriv, and exactly the shared
# libraries those binaries load (found with ldd). The entrypoint is the launcher's Java main: `podman run IMAGE ROLE
# [args]` runs any role (mgmtd, meta, control, storage, monitor, mount, admin, up, status...); every configuration key
# can be set as CATENA_* in the environment, and each role logs its effective configuration (secrets redacted).
#
# Usage: dist/image/build-image.sh [IMAGE]   (as root; IMAGE defaults to localhost/catena:VERSION)
# Needs: buildah (Debian's package), the archive built (./mvn25 -pl dist -am package -DskipTests).
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
source "$root/dev/jdk.sh"
version="$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -1)"
image="${1:-localhost/catena:${version}}"
jar="$root/dist/target/catena.jar"
[ -f "$jar" ] || { echo "build-image: $jar is missing; build it first (./mvn25 -pl dist -am package -DskipTests)" >&2; exit 1; }
command -v buildah > /dev/null || { echo "build-image: buildah is not installed (apt-get install buildah)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/opt/catena" "$rootfs/tmp" "$rootfs/data" "$rootfs/mnt/catena" "$rootfs/etc" "$rootfs/usr/bin"
chmod 1777 "$rootfs/tmp"

# The modules jdeps finds in the archive and its libraries, plus those reached only by reflection or service
# loading (JUL for gRPC, the HTTP server, EC crypto for TLS to etcd, zipfs for jar resources).
modules="java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql"
modules="$modules,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported,jdk.zipfs"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$rootfs/opt/catena/runtime"
cp "$jar" "$rootfs/opt/catena/catena.jar"
cp -r "$root/dist/target/lib" "$rootfs/opt/catena/lib"
for b in /usr/bin/fusermount3 /usr/bin/setpriv; do
  [ -x "$b" ] && cp "$b" "$rootfs$b"
done

# Every shared library any ELF file in the image loads, at the path the loader looks for it.
elfs=$(find "$rootfs/opt/catena/runtime" "$rootfs/usr/bin" -type f \( -name '*.so' -o -perm -u+x \))
for f in $elfs; do
  ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\s*\/lib/{print $1}' || true
done | sort -u | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
# RocksDB and Netty unpack their native libraries at run time; they need the C++ runtime and libgcc.
for lib in /lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libm.so.6; do
  [ -f "$lib" ] && { mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; }
done
[ -e "$rootfs/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$rootfs/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$rootfs/lib64/"; }
printf 'root:x:0:0:root:/root:/nonexistent\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\n' > "$rootfs/etc/group"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' > "$rootfs/etc/hosts"

ctr="$(buildah from scratch)"
trap 'buildah rm "$ctr" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
mnt="$(buildah mount "$ctr")"
cp -a "$rootfs/." "$mnt/"
buildah umount "$ctr" > /dev/null
java=/opt/catena/runtime/bin/java
buildah config \
    --entrypoint "[\"$java\", \"--enable-native-access=ALL-UNNAMED\", \"--sun-misc-unsafe-memory-access=allow\", \"-XX:+UseParallelGC\", \"-jar\", \"/opt/catena/catena.jar\"]" \
    --cmd '["--help"]' \
    --env JAVA_HOME=/opt/catena/runtime --env PATH=/opt/catena/runtime/bin:/usr/bin --env TMPDIR=/tmp \
    --workingdir /data \
    --label org.opencontainers.image.title=catena \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.description="Catena: every role by its first argument (mgmtd, meta, control, storage, monitor, mount, admin, up)" \
    "$ctr"
buildah commit --quiet --rm "$ctr" "$image" > /dev/null
trap 'rm -rf "$work"' EXIT
size=$(buildah inspect --format '{{.FromImageID}}' "$image" > /dev/null 2>&1; buildah images --format '{{.Size}}' "$image" | head -1)
echo "built $image ($size)"
