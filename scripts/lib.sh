# Shared by scripts/run-example and scripts/test: a virtual environment with the locked versions.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@";
  else return 1; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Cài gói Debian: ${missing[*]}" >&2
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >/dev/null 2>&1; then
    as_root apt-get update -q >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
      >/dev/null || { echo "Không cài được ${missing[*]} (cần quyền root): $0 bỏ qua phần cần chúng." >&2; return 1; }
  fi
}

ensure_venv() {
  local extra="$1"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "toasoan cần Python 3.11 trở lên; máy này có $(python3 --version)." >&2; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv 2>/dev/null || { apt_install python3-venv && python3 -m venv .venv; }
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e ".${extra}"
}

# How many processes run the tests (pytest-xdist): one per CPU, at most four, each with its own Dovecot,
# WordPress and PostgreSQL; most tests wait for a server or a daemon, not for the CPU. TOASOAN_TEST_WORKERS
# sets it (0: every test in one process, as to debug one).
test_workers() {
  local cpus
  cpus=$(nproc 2>/dev/null || echo 1)
  echo "${TOASOAN_TEST_WORKERS:-$(( cpus < 4 ? cpus : 4 ))}"
}
