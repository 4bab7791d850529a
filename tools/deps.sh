#!/bin/sh
# Install the Debian packages lua-omics needs to build, test and demo, when
# any is missing. Quiet and quick (one dpkg-query, no apt-get) when all are
# there. Needs root, or sudo when not root.
#
# Add packages here, one list for everything.
PACKAGES="
build-essential
pkg-config
lua5.4
liblua5.4-dev
libcurl4-openssl-dev
libcjson-dev
libmbedtls-dev
lua-busted
lua-socket
lua-dkjson
luarocks
python3
python3-botocore
curl
ca-certificates
openssl
luajit2
libluajit2-5.1-dev
nginx-light
libnginx-mod-http-lua
lua-cjson
clang
python3-boto3
valgrind
libclang-rt-14-dev
wrk
tinyproxy
tmux
"
set -eu

die() { echo "deps.sh: $*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script is for Debian and its derivatives"

# Print the packages of the list that are not installed, one per line.
missing_packages() {
    # shellcheck disable=SC2086 # word splitting of the list is intended
    installed=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $PACKAGES 2>/dev/null |
        awk '$1 == "ii" { printf "%s ", $2 }')"
    for p in $PACKAGES; do
        case "$installed" in
            *" $p "*) ;;
            *) echo "$p" ;;
        esac
    done
}

missing=$(missing_packages | tr '\n' ' ' | sed 's/ *$//')
if [ -z "$missing" ]; then
    echo "deps: all $(echo "$PACKAGES" | wc -w) packages installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    as_root="sudo"
else
    die "missing packages: $missing; installing them needs root, or sudo (without a password when there is no terminal). Run as root, or install them yourself: apt-get install $missing"
fi

echo "deps: installing missing packages: $missing"
echo "deps: apt-get update"
$as_root apt-get update -q || die "apt-get update failed"
# The tests start nginx themselves, on their own ports: keep the package from
# starting the system's nginx (on port 80) while it installs, where nothing
# else already says so (policy-rc.d, as Debian's container images use).
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $as_root tee "$policy" >/dev/null && $as_root chmod +x "$policy" &&
        made_policy=1
fi
status=0
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing ||
    status=$?
[ -z "$made_policy" ] || $as_root rm -f "$policy"
[ "$status" -eq 0 ] || die "apt-get install failed for: $missing"

still=$(missing_packages | tr '\n' ' ' | sed 's/ *$//')
[ -z "$still" ] || die "still missing after apt-get install: $still"
echo "deps: installed $missing"
