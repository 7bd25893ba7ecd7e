#!/usr/bin/env bash
# infra/docker/ensure-engine.sh - make a Docker engine and the SpecForge base
# images available, on a developer box, in CI, or before image tests.
#
# Usage: infra/docker/ensure-engine.sh [--check]
#
#   (no argument)  ensure everything is there; idempotent, and a sub-second
#                  no-op (one line on stdout) when it already is.
#   --check        only report: exit 0 if the engine answers and both images
#                  exist, 1 otherwise. Never installs, starts or builds.
#
# What it does, in order:
#   1. If `docker version` answers, the engine is left strictly alone: nothing
#      is installed or started (a normal Docker Desktop / systemd setup is used
#      as it is).
#   2. Otherwise (root only) it installs Debian's docker.io and debootstrap if
#      `dockerd` / `debootstrap` are missing, and starts
#          dockerd --bridge=none --iptables=false --ip-masq=false
#      detached, logging to /var/log/dockerd.log. Why those flags: the CI and
#      developer machines are VMs whose networking must not be touched. With
#      --bridge=none no docker0 bridge is created, with --iptables=false and
#      --ip-masq=false the daemon never edits firewall/NAT rules. Containers
#      therefore get no network of their own: run them with `--network host`
#      (traffic stays on loopback) and expect `docker build` RUN steps to have
#      no network unless the build is given host networking.
#   3. It makes sure two base images exist (each built only if
#      `docker image inspect` says it is missing):
#        $SPECFORGE_BASE_IMAGE  (default specforge/python:3.11-bookworm)
#        $SPECFORGE_NODE_IMAGE  (default specforge/node:20-bookworm)
#      First it tries `docker pull` of the upstream image (python:3.11-slim-
#      bookworm / node:20-bookworm-slim) with a short timeout and re-tags it.
#      With no registry reachable it instead builds a Debian bookworm rootfs
#      with `debootstrap --variant=minbase` from the apt mirror this machine's
#      apt is configured with (read from /etc/apt at run time), and
#      `docker import`s it. Bookworm's python3 is CPython 3.11. NOTE: bookworm's
#      own nodejs package is Node 18, so a debootstrapped "node:20" image holds
#      Node 18; the tag is kept stable for the Dockerfiles that use it.
#
# Environment:
#   SPECFORGE_BASE_IMAGE     tag of the Python image
#   SPECFORGE_NODE_IMAGE     tag of the Node image
#   SPECFORGE_DEBIAN_MIRROR  Debian mirror URL for debootstrap (default: apt's)
#   SPECFORGE_PULL_TIMEOUT   seconds allowed for each `docker pull` (default
#                            20; 0 skips pulling and always debootstraps)
#
# Timings of each step go to stderr. The Pants docker backend runs
# `docker build` with the legacy builder: leave DOCKER_BUILDKIT unset.
set -euo pipefail

readonly PY_IMAGE="${SPECFORGE_BASE_IMAGE:-specforge/python:3.11-bookworm}"
readonly NODE_IMAGE="${SPECFORGE_NODE_IMAGE:-specforge/node:20-bookworm}"
readonly PY_UPSTREAM="python:3.11-slim-bookworm"
readonly NODE_UPSTREAM="node:20-bookworm-slim"
readonly SUITE="bookworm"
readonly DOCKERD_LOG="/var/log/dockerd.log"
readonly APT_LOG="/var/log/ensure-engine-apt.log"
readonly ENGINE_WAIT_SECONDS=60
readonly PULL_TIMEOUT="${SPECFORGE_PULL_TIMEOUT:-20}"
readonly IMAGE_PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

PULL_UNAVAILABLE=0   # set once a pull failed: don't wait for a second one
WORK_DIRS=()         # temp dirs to remove on exit

log() { printf '[ensure-engine] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# Seconds (one decimal) since the timestamp in $1 (from `date +%s.%N`).
elapsed() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; }
timing() { log "$(printf '%-48s %6ss' "$1" "$(elapsed "$2")")"; }

engine_up() { docker version >/dev/null 2>&1; }
image_present() { docker image inspect "$1" >/dev/null 2>&1; }
is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ---------------------------------------------------------------- cleanup --
remove_work_dir() {
  local dir=$1 mnt
  [[ -n "$dir" && -d "$dir" ]] || return 0
  # A debootstrap killed mid-way can leave proc/sys mounted in its target:
  # unmount them first, and never let rm cross into another file system.
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v p="$dir/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf --one-file-system -- "$dir"
}

cleanup() {
  local dir
  for dir in ${WORK_DIRS[@]+"${WORK_DIRS[@]}"}; do
    remove_work_dir "$dir"
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ check --
check_only() {
  local ready=0 img missing=()
  if ! engine_up; then
    echo "not ready: Docker engine does not answer (docker version)"
    return 1
  fi
  for img in "$PY_IMAGE" "$NODE_IMAGE"; do
    image_present "$img" || missing+=("$img")
  done
  if ((${#missing[@]} > 0)); then
    echo "not ready: engine up, missing image(s): ${missing[*]}"
    ready=1
  else
    echo "ready: engine up, images $PY_IMAGE and $NODE_IMAGE present"
  fi
  return "$ready"
}

# ----------------------------------------------------------------- engine --
apt_install() {
  local t0
  t0=$(date +%s.%N)
  export DEBIAN_FRONTEND=noninteractive
  log "installing with apt: $* (log: $APT_LOG)"
  if ! apt-get install -y --no-install-recommends "$@" >"$APT_LOG" 2>&1; then
    log "apt-get install failed; running apt-get update and retrying"
    if ! { apt-get update && apt-get install -y --no-install-recommends "$@"; } >>"$APT_LOG" 2>&1; then
      tail -n 30 "$APT_LOG" >&2 || true
      die "apt-get install $* failed (full log: $APT_LOG)"
    fi
  fi
  timing "apt-get install" "$t0"
}

start_engine() {
  local t0 pid="" deadline need=()
  is_root || die "no Docker engine answers (docker version), and starting one needs root.
  Start Docker yourself (e.g. 'sudo systemctl start docker' or Docker Desktop),
  make sure your user may use it (e.g. member of the 'docker' group),
  or run this script as root: sudo $0"
  if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != "unix:///var/run/docker.sock" ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine instead"
  fi

  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    need+=(docker.io)
  fi
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  if ((${#need[@]} > 0)); then
    apt_install "${need[@]}"
    command -v dockerd >/dev/null 2>&1 || die "dockerd still not found after apt-get install"
  fi

  t0=$(date +%s.%N)
  if engine_up; then # e.g. a systemd host where the package started the service
    timing "engine (started by package)" "$t0"
    return 0
  fi
  if [[ -s /var/run/docker.pid ]] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    pid=$(cat /var/run/docker.pid)
    log "a dockerd (pid $pid) is already running but not answering yet; waiting for it"
  else
    log "starting dockerd --bridge=none --iptables=false --ip-masq=false (log: $DOCKERD_LOG)"
    setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$DOCKERD_LOG" 2>&1 &
    pid=$!
  fi
  deadline=$((SECONDS + ENGINE_WAIT_SECONDS))
  until engine_up; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "dockerd (pid $pid) exited before answering; log above and in $DOCKERD_LOG"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within ${ENGINE_WAIT_SECONDS}s; log above and in $DOCKERD_LOG"
    fi
    sleep 0.5
  done
  timing "dockerd start" "$t0"
}

# ----------------------------------------------------------------- images --
# The first Debian mirror apt uses for $SUITE (or, on a host of another
# release, for the host's own codename), from one-line *.list files and
# deb822 *.sources files. Third-party repos never use the bare codename.
debian_mirror() {
  if [[ -n "${SPECFORGE_DEBIAN_MIRROR:-}" ]]; then
    printf '%s\n' "${SPECFORGE_DEBIAN_MIRROR%/}"
    return 0
  fi
  local lists=() sources=() entries codename="" mirror=""
  shopt -s nullglob
  [[ -f /etc/apt/sources.list ]] && lists+=(/etc/apt/sources.list)
  lists+=(/etc/apt/sources.list.d/*.list)
  sources+=(/etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  entries=$(
    if ((${#lists[@]} > 0)); then
      awk '$1 == "deb" { sub(/^deb[ \t]+(\[[^]]*\][ \t]+)?/, ""); print $1, $2 }' "${lists[@]}"
    fi
    if ((${#sources[@]} > 0)); then
      awk 'BEGIN { RS = ""; FS = "\n" }
        {
          types = ""; uris = ""; suites = ""; enabled = "yes"
          for (i = 1; i <= NF; i++) {
            if ($i ~ /^#/ || !match($i, /^[A-Za-z-]+:/)) continue
            key = tolower(substr($i, 1, RLENGTH - 1)); val = substr($i, RLENGTH + 1)
            if (key == "types") types = val
            else if (key == "uris") uris = val
            else if (key == "suites") suites = val
            else if (key == "enabled") { enabled = tolower(val); gsub(/[ \t]/, "", enabled) }
          }
          if (enabled == "no" || (" " types " ") !~ /[ \t]deb[ \t]/) next
          nu = split(uris, u, " "); ns = split(suites, s, " ")
          for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) print u[a], s[b]
        }' "${sources[@]}"
    fi
  )
  if [[ -r /etc/os-release ]]; then
    codename=$(awk -F= '$1 == "VERSION_CODENAME" { gsub(/"/, "", $2); print $2 }' /etc/os-release)
  fi
  mirror=$(awk -v s1="$SUITE" -v s2="${codename:-$SUITE}" '
    $1 ~ /^(https?|file):/ && $2 == s1 { print $1; found = 1; exit }
    $1 ~ /^(https?|file):/ && $2 == s2 && fallback == "" { fallback = $1 }
    END { if (!found && fallback != "") print fallback }' <<<"$entries")
  [[ -n "$mirror" ]] || die "found no Debian mirror for '$SUITE' in /etc/apt/sources.list{,.d/}; set SPECFORGE_DEBIAN_MIRROR"
  printf '%s\n' "${mirror%/}"
}

# debootstrap fetches with wget, which ignores apt's own proxy setting.
export_apt_proxy() {
  local APT_PROXY=""
  [[ -z "${http_proxy:-}" ]] || return 0
  eval "$(apt-config shell APT_PROXY Acquire::http::Proxy 2>/dev/null || true)"
  if [[ -n "$APT_PROXY" && "$APT_PROXY" != "DIRECT" ]]; then
    export http_proxy="$APT_PROXY"
    log "using apt's HTTP proxy for debootstrap"
  fi
}

try_pull() { # try_pull UPSTREAM TAG
  local upstream=$1 tag=$2 t0
  ((PULL_TIMEOUT > 0 && PULL_UNAVAILABLE == 0)) || return 1
  t0=$(date +%s.%N)
  if timeout "$PULL_TIMEOUT" docker pull -q "$upstream" >/dev/null 2>&1 &&
    docker tag "$upstream" "$tag"; then
    timing "pull $upstream" "$t0"
    return 0
  fi
  PULL_UNAVAILABLE=1
  timing "pull $upstream (failed)" "$t0"
  return 1
}

# Trim a fresh rootfs the way Debian's own slim images are trimmed: no apt
# caches/indexes (`apt-get update` refills them), no docs (copyright files
# kept), man pages, info pages or translations - also for packages installed
# later in a Dockerfile, via a dpkg path-exclude file. Saves ~50 MB per image.
slim_rootfs() {
  local root=$1 dir
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim-image" <<'EOF'
# Written by infra/docker/ensure-engine.sh: keep the image small.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  for dir in doc man info locale; do
    [[ -d "$root/usr/share/$dir" ]] || continue
    find "$root/usr/share/$dir" -mindepth 1 ! -type d ! -name copyright ! -name locale.alias -delete
    find "$root/usr/share/$dir" -mindepth 1 -depth -type d -empty -delete
  done
}

debootstrap_import() { # debootstrap_import TAG INCLUDE CMD_JSON
  local tag=$1 include=$2 cmd=$3 work mirror t0
  is_root || die "$tag is missing, it cannot be pulled, and building it with debootstrap needs root (sudo $0)"
  command -v debootstrap >/dev/null 2>&1 ||
    die "$tag is missing, it cannot be pulled, and debootstrap is not installed (apt-get install debootstrap)"
  mirror=$(debian_mirror)
  export_apt_proxy
  work=$(mktemp -d /var/tmp/ensure-engine.XXXXXX)
  WORK_DIRS+=("$work")

  t0=$(date +%s.%N)
  log "debootstrap $SUITE (+$include) from $mirror (log: $work/debootstrap.log)"
  if ! debootstrap --variant=minbase --include="$include" "$SUITE" "$work/rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2 || true
    [[ -f "$work/rootfs/debootstrap/debootstrap.log" ]] &&
      tail -n 30 "$work/rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap for $tag failed (log tail above)"
  fi
  slim_rootfs "$work/rootfs"
  timing "debootstrap $tag" "$t0"

  t0=$(date +%s.%N)
  tar --numeric-owner -C "$work/rootfs" -c . |
    docker import \
      --change 'ENV LANG=C.UTF-8' \
      --change "ENV PATH=$IMAGE_PATH" \
      --change "CMD $cmd" \
      - "$tag" >/dev/null
  timing "import $tag" "$t0"

  remove_work_dir "$work"
}

ensure_image() { # ensure_image TAG UPSTREAM INCLUDE CMD_JSON SMOKE...
  local tag=$1 upstream=$2 include=$3 cmd=$4 t0 version
  shift 4
  image_present "$tag" && return 0
  log "$tag is missing"
  # (not `a || b`: that would switch off errexit inside debootstrap_import)
  if ! try_pull "$upstream" "$tag"; then
    debootstrap_import "$tag" "$include" "$cmd"
  fi
  t0=$(date +%s.%N)
  version=$(docker run --rm --network none "$tag" "$@" 2>&1) ||
    die "smoke test of $tag failed: $version"
  timing "smoke test $tag" "$t0"
  log "$tag ready: $version"
}

# ------------------------------------------------------------------- main --
main() {
  local t_start t0
  case "${1:-}" in
    "") ;;
    --check)
      if check_only; then return 0; else return 1; fi
      ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
      return 0
      ;;
    *) die "unknown argument '$1'; usage: $0 [--check]" ;;
  esac

  t_start=$(date +%s.%N)
  if engine_up && image_present "$PY_IMAGE" && image_present "$NODE_IMAGE"; then
    echo "ensure-engine: Docker engine up; $PY_IMAGE and $NODE_IMAGE present"
    return 0
  fi

  t0=$(date +%s.%N)
  if engine_up; then
    timing "engine check (up)" "$t0"
  else
    timing "engine check (down)" "$t0"
    start_engine
  fi

  ensure_image "$PY_IMAGE" "$PY_UPSTREAM" "python3,python3-venv,ca-certificates" '["python3"]' \
    python3 -c 'import sys, venv, ssl; assert sys.version_info[:2] == (3, 11), sys.version; print("Python", sys.version.split()[0])'
  ensure_image "$NODE_IMAGE" "$NODE_UPSTREAM" "nodejs,ca-certificates" '["node"]' \
    node -e 'console.log("Node " + process.version)'

  timing "total" "$t_start"
  echo "ensure-engine: Docker engine up; $PY_IMAGE and $NODE_IMAGE present"
}

main "$@"
