# Sourced by .ci/run: puts moto_server and cfn-lint on PATH, or fails plainly.
#
# They are the two Python tools the tests use: moto_server is the AWS
# emulator of the handler and deploy tests, cfn-lint the template lint of the
# compliance gates (neither may be skipped in CI). A tool already on PATH is
# used as it is. A missing one is installed into .tools/ (git-ignored), and
# .tools/bin goes first on PATH; each route says what it installed and from
# where. Routes, in order:
#
#   moto_server  1. pip, into a venv at .tools/venv (PyPI, when reachable)
#                2. Debian's python3-moto, 5.2 or later: from this machine's own
#                   apt sources when they have one that recent, else into a
#                   Debian unstable (sid) tree under .tools/debian made with
#                   debootstrap from this machine's Debian mirror; moto_server
#                   then runs chrooted in that tree (root only). Not trixie
#                   (Debian 13): its moto 5.1.1 fails the suite (a second,
#                   lower-case Date header on errors, which Node joins into a
#                   value the SDK's clock-skew check reads as NaN, so the CDK
#                   CLI's next signature throws "Invalid time value"; Step
#                   Functions creationDate not in epoch seconds; DeleteItem of
#                   a missing item with ReturnValues ALL_OLD answers
#                   Attributes {}). Fixed by moto 5.2, which sid has (5.2.4).
#   cfn-lint     1. pip, as above
#                2. a cfn-lint already installed by a Python off PATH (pyenv's
#                   versions, ~/.local/bin): no Debian release packages
#                   cfn-lint (bookworm, trixie and sid have none), and the npm
#                   package named cfn-lint is an unrelated JavaScript linter.
#
# A run reuses what an earlier run put into .tools/.

STATEHOUSE_TOOLS="${STATEHOUSE_TOOLS:-$PWD/.tools}"
TOOLS_BIN="$STATEHOUSE_TOOLS/bin"
# The suite whose python3-moto the tree takes, and the oldest moto the tests pass on.
DEBIAN_MOTO_SUITE="${STATEHOUSE_DEBIAN_MOTO_SUITE:-sid}"
DEBIAN_MOTO_MIN=5.2
# What moto_server needs from python3-moto's Recommends for the services the
# tests use (Step Functions reads JSONPath; CloudFormation parses YAML; a
# DynamoDB stream with an event source mapping makes moto invoke the Lambda
# function, which imports the docker client unguarded: without it the write
# answers 500, the SDK retries, and the retry fails its own condition), and
# flask-cors, which moto's server imports.
DEBIAN_MOTO_PACKAGES=(python3-moto python3-flask-cors python3-docker python3-yaml python3-jsonpath-ng python3-pyparsing python3-joserfc python3-jsondiff python3-openapi-spec-validator python3-aws-xray-sdk python3-graphql-core python3-multipart)

tools_say() { echo "python tools: $*"; }

# Seconds since the epoch, for "took N s".
tools_now() { date +%s; }

# Route 1: pip into a private venv, failing at once when PyPI is unreachable.
tools_pip() {
  local package="$1" tool="$2"
  command -v python3 >/dev/null 2>&1 || return 1
  if [ ! -x "$STATEHOUSE_TOOLS/venv/bin/pip" ]; then
    python3 -m venv "$STATEHOUSE_TOOLS/venv" >/dev/null 2>&1 || { tools_say "pip: python3 -m venv failed (no venv module)"; return 1; }
  fi
  if "$STATEHOUSE_TOOLS/venv/bin/pip" install --quiet --disable-pip-version-check --retries 0 --timeout 10 "$package" >"$STATEHOUSE_TOOLS/pip.log" 2>&1; then
    ln -sf "$STATEHOUSE_TOOLS/venv/bin/$tool" "$TOOLS_BIN/$tool"
    tools_say "installed $package with pip into $STATEHOUSE_TOOLS/venv"
    return 0
  fi
  tools_say "pip could not install $package ($(tail -n 1 "$STATEHOUSE_TOOLS/pip.log"))"
  return 1
}

# This machine's Debian mirror, as its own apt sources name it.
tools_debian_mirror() {
  local codename
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' 2>/dev/null |
    awk -v suite="$codename" '$2 == suite { print $1; exit }'
}

# Route 2 for moto: Debian's python3-moto.
tools_debian_moto() {
  [ "$(id -u)" = 0 ] || { tools_say "Debian route needs root (apt-get, debootstrap, chroot)"; return 1; }
  command -v apt-get >/dev/null 2>&1 || { tools_say "Debian route: no apt-get here"; return 1; }
  local started log="$STATEHOUSE_TOOLS/debian.log"
  started="$(tools_now)"
  apt-get update -qq >"$log" 2>&1 || { tools_say "apt-get update failed (see $log)"; return 1; }
  # This machine's own release first, when its moto is recent enough.
  local candidate
  candidate="$(apt-cache policy python3-moto 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && dpkg --compare-versions "$candidate" ge "$DEBIAN_MOTO_MIN"; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${DEBIAN_MOTO_PACKAGES[@]}" >>"$log" 2>&1 ||
      { tools_say "apt-get install python3-moto failed (see $log)"; return 1; }
    ln -sf /usr/bin/moto_server "$TOOLS_BIN/moto_server"
    tools_say "installed python3-moto $(dpkg-query -W -f='${Version}' python3-moto) from this machine's apt sources in $(($(tools_now) - started)) s"
    return 0
  fi
  # Otherwise a Debian tree of its own, beside the project, from the same mirror.
  local root="$STATEHOUSE_TOOLS/debian" mirror
  mirror="$(tools_debian_mirror)"
  [ -n "$mirror" ] || { tools_say "Debian route: no Debian mirror in this machine's apt sources"; return 1; }
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >>"$log" 2>&1 ||
      { tools_say "apt-get install debootstrap failed (see $log)"; return 1; }
    rm -rf "$root"
    tools_say "making a Debian $DEBIAN_MOTO_SUITE tree in $root with debootstrap from $mirror"
    debootstrap --variant=minbase "$DEBIAN_MOTO_SUITE" "$root" "$mirror" >>"$log" 2>&1 ||
      { tools_say "debootstrap $DEBIAN_MOTO_SUITE failed (see $log)"; rm -rf "$root"; return 1; }
  fi
  # The mirror can be a snapshot older than this machine's clock; sid's Release
  # then is past its Valid-Until (seen: by 30 days) and apt refuses it. Its
  # signature is still checked.
  echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99statehouse-snapshot-mirror"
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $(printf '%s ' "${DEBIAN_MOTO_PACKAGES[@]}") && apt-get clean" >>"$log" 2>&1 ||
    { tools_say "apt-get install python3-moto in $root failed (see $log)"; return 1; }
  # The tests spawn moto_server from PATH and stop it with SIGTERM: exec, so
  # the pid they hold is moto's own. It listens on this machine's loopback.
  cat >"$TOOLS_BIN/moto_server" <<EOF
#!/bin/sh
# moto_server from Debian $DEBIAN_MOTO_SUITE's python3-moto, in the tree .ci/run made with debootstrap.
exec chroot '$root' /usr/bin/env -u TMPDIR /usr/bin/moto_server "\$@"
EOF
  chmod +x "$TOOLS_BIN/moto_server"
  tools_say "installed python3-moto $(chroot "$root" dpkg-query -W -f='${Version}' python3-moto) from Debian $DEBIAN_MOTO_SUITE ($mirror) into $root in $(($(tools_now) - started)) s"
}

# Route 2 for cfn-lint: a copy some Python on this machine already has.
tools_installed_cfn_lint() {
  local candidate
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/*/bin/cfn-lint "$HOME/.local/bin/cfn-lint" /usr/local/bin/cfn-lint; do
    [ -x "$candidate" ] || continue
    "$candidate" --version >/dev/null 2>&1 || continue
    ln -sf "$candidate" "$TOOLS_BIN/cfn-lint"
    tools_say "using $("$candidate" --version) already installed at $candidate (not on PATH)"
    return 0
  done
  return 1
}

ensure_python_tools() {
  mkdir -p "$TOOLS_BIN"
  export PATH="$TOOLS_BIN:$PATH"
  if ! command -v moto_server >/dev/null 2>&1; then
    tools_say "moto_server is not on PATH"
    tools_pip "moto[server]" moto_server || tools_debian_moto || {
      echo "ERROR: moto_server is not on PATH, and neither pip nor Debian's python3-moto could install it (see above); install moto[server] and re-run." >&2
      return 1
    }
  fi
  if ! command -v cfn-lint >/dev/null 2>&1; then
    tools_say "cfn-lint is not on PATH"
    tools_pip cfn-lint cfn-lint || tools_installed_cfn_lint || {
      echo "ERROR: cfn-lint is not on PATH, pip could not install it, and no Python on this machine has it; no Debian release packages cfn-lint. Install cfn-lint (pip install cfn-lint) and re-run." >&2
      return 1
    }
  fi
  tools_say "moto_server: $(command -v moto_server); cfn-lint: $(command -v cfn-lint) ($(cfn-lint --version))"
}
