#!/usr/bin/env bash
# Installs Catena for systemd from a built source checkout (./mvn25 -pl dist -am package -DskipTests, or any
# ./catena run): the launcher, the runnable archive and its libraries under /opt/catena, the units in
# /etc/systemd/system, the catena system user (systemd-sysusers), /var/lib/catena, and the example settings as
# /etc/catena/*.env.example. It never overwrites a settings file, and installing again upgrades the program in place
# (restart the services afterwards). docs/systemd.md.
#
# Usage: deploy/systemd/install.sh [--root DIR]
#   --root DIR   stage everything under DIR instead of / (a package build, a test); no user is created, systemd is
#                not reloaded.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
dest=/
if [ "${1:-}" = "--root" ]; then
  dest="${2:?--root needs a directory}"
  shift 2
fi
[ $# -eq 0 ] || { echo "usage: $0 [--root DIR]" >&2; exit 2; }
jar="$repo/dist/target/catena.jar"
[ -f "$jar" ] && [ -d "$repo/dist/target/lib" ] || {
  echo "install: $jar is missing; build it first: (cd $repo && ./mvn25 -pl dist -am package -DskipTests)" >&2
  exit 1
}
opt="$dest/opt/catena"

install -d -m 0755 "$opt" "$opt/dev" "$opt/dist/target/lib" "$opt/docs"
install -m 0755 "$repo/catena" "$opt/catena"
install -m 0644 "$repo/dev/jdk.sh" "$opt/dev/jdk.sh"
# The archive's manifest names its libraries as lib/*.jar beside it; replace the whole set on upgrade.
rm -f "$opt/dist/target/lib/"*.jar
install -m 0644 "$repo/dist/target/lib/"*.jar "$opt/dist/target/lib/"
install -m 0644 "$jar" "$opt/dist/target/catena.jar"
install -m 0644 "$repo/docs/systemd.md" "$repo/docs/deploy.md" "$repo/docs/deploy-ha.md" "$opt/docs/"

install -d -m 0755 "$dest/etc/systemd/system" "$dest/usr/lib/sysusers.d"
install -m 0644 "$repo/deploy/systemd/"catena*.service "$repo/deploy/systemd/catena.target" "$dest/etc/systemd/system/"
install -m 0644 "$repo/deploy/systemd/catena.sysusers" "$dest/usr/lib/sysusers.d/catena.conf"

install -d -m 0750 "$dest/etc/catena"
for f in "$repo/deploy/systemd/env/"*.env; do
  install -m 0640 "$f" "$dest/etc/catena/$(basename "$f").example"
done

if [ "$dest" = / ]; then
  systemd-sysusers /usr/lib/sysusers.d/catena.conf
  chgrp catena /etc/catena
  install -d -m 0750 -o catena -g catena /var/lib/catena
  systemctl daemon-reload
fi
echo "installed Catena under $opt; units in $dest/etc/systemd/system; settings go in $dest/etc/catena (docs/systemd.md)"
