#!/usr/bin/env bash
# Runs every test of every module on JDK 25: unit tests, engine conformance suites, crash tests and the
# multi-process integration tests that start the real launcher. Extra arguments go to Maven.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
source "$root/dev/jdk.sh"
cd "$root"
exec mvn -B -ntp verify "$@"
