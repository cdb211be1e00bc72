#!/usr/bin/env bash
# Starts (or stops) two local OCI distribution registries for the remote
# tests: Debian's docker-registry on 127.0.0.1, storage in a temp dir; the
# second with htpasswd basic auth.
#
#   .ci/registry.sh start [ENVFILE]   start both, write their addresses to ENVFILE
#   .ci/registry.sh stop              stop both, remove their storage
#
# ENVFILE (default $DSBUILD_REGISTRY_DIR/env) gets lines for `source`:
#   DSBUILD_TEST_REGISTRY=127.0.0.1:PORT           (no auth)
#   DSBUILD_TEST_REGISTRY_STORAGE=DIR              (its storage root: tests damage blobs there)
#   DSBUILD_TEST_REGISTRY_AUTH=127.0.0.1:PORT      (basic auth)
#   DSBUILD_TEST_REGISTRY_USER / _PASSWORD         (the auth registry's one user)
# Ports: $DSBUILD_REGISTRY_PORT (default 5000) and the next one.
set -euo pipefail

state="${DSBUILD_REGISTRY_DIR:-${TMPDIR:-/tmp}/dsbuild-registry}"
port="${DSBUILD_REGISTRY_PORT:-5000}"
auth_port=$((port + 1))
bin="${DOCKER_REGISTRY:-/usr/bin/docker-registry}"

stop() {
  for name in plain auth; do
    if [[ -f "$state/$name.pid" ]]; then
      pid="$(cat "$state/$name.pid")"
      # only our own process: the pid file is ours, and the command must match
      if kill -0 "$pid" 2>/dev/null && grep -q docker-registry "/proc/$pid/cmdline" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      rm -f "$state/$name.pid"
    fi
  done
  rm -rf "$state"
}

config() { # name port [auth]
  local name=$1 p=$2
  mkdir -p "$state/$name/storage"
  {
    echo "version: 0.1"
    echo "log:"
    echo "  level: error"
    echo "  accesslog:"
    echo "    disabled: true"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $state/$name/storage"
    echo "  delete:"
    echo "    enabled: true"
    echo "  maintenance:"
    echo "    uploadpurging:"
    echo "      enabled: false"
    # no blob descriptor cache: a blob removed from storage is gone at once
    echo "http:"
    echo "  addr: 127.0.0.1:$p"
    echo "  secret: dsbuild-test-$name"
    if [[ "${3:-}" == auth ]]; then
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: dsbuild-test"
      echo "    path: $state/htpasswd"
    fi
  } > "$state/$name/config.yml"
}

wait_up() { # port name
  for _ in $(seq 100); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/" || true)"
    if [[ "$code" == 200 || "$code" == 401 ]]; then return 0; fi
    sleep 0.1
  done
  echo "registry.sh: $2 registry did not come up on 127.0.0.1:$1; its log:" >&2
  cat "$state/$2/log" >&2 || true
  return 1
}

start() {
  local envfile="${1:-$state/env}"
  [[ -x "$bin" ]] || { echo "registry.sh: $bin not found (apt-get install docker-registry)" >&2; exit 1; }
  command -v htpasswd >/dev/null || { echo "registry.sh: htpasswd not found (apt-get install apache2-utils)" >&2; exit 1; }
  stop
  mkdir -p "$state"
  user=dsbuild
  password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  htpasswd -Bbn "$user" "$password" > "$state/htpasswd"
  config plain "$port"
  config auth "$auth_port" auth
  for name in plain auth; do
    "$bin" serve "$state/$name/config.yml" > "$state/$name/log" 2>&1 &
    echo $! > "$state/$name.pid"
  done
  wait_up "$port" plain
  wait_up "$auth_port" auth
  mkdir -p "$(dirname "$envfile")"
  cat > "$envfile" <<ENV
export DSBUILD_TEST_REGISTRY=127.0.0.1:$port
export DSBUILD_TEST_REGISTRY_STORAGE=$state/plain/storage
export DSBUILD_TEST_REGISTRY_AUTH=127.0.0.1:$auth_port
export DSBUILD_TEST_REGISTRY_USER=$user
export DSBUILD_TEST_REGISTRY_PASSWORD=$password
ENV
  echo "$envfile"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  *) echo "usage: $0 start [ENVFILE] | stop" >&2; exit 2 ;;
esac
