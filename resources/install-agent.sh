#!/usr/bin/env bash
# Installs the Skystation camera agent on Raspberry Pi OS (Bookworm or later) as a systemd service.
#
#   sudo ./install-agent.sh [path/to/skystation-agent-X.Y.Z.tgz | path/to/agent-folder]
#
# - installs Node.js 20+ (from Raspberry Pi OS / Debian if new enough), gphoto2, digitemp and socat
# - creates the "skystation" system user (groups dialout, video) and /var/lib/skystation-agent
# - copies the agent to /opt/skystation-agent and installs its production dependencies
# - installs and starts skystation-agent.service (Restart=always, watchdog)
# Safe to run again to upgrade: the data folder and its agent.yaml are kept.
set -euo pipefail

readonly PREFIX=/opt/skystation-agent
readonly DATA_DIR=/var/lib/skystation-agent
readonly SERVICE_USER=skystation
readonly UNIT=/etc/systemd/system/skystation-agent.service
readonly DEFAULTS=/etc/default/skystation-agent
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly script_dir

die() {
  printf 'install-agent: %s\n' "$1" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "run me as root (sudo $0)."

source_path=${1:-$script_dir/../agent}
[ -e "$source_path" ] || die "no agent package at $source_path; pass the .tgz or the agent folder."

echo "==> Installing system packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates gphoto2 digitemp socat >/dev/null
node_major=0
if command -v node >/dev/null 2>&1; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
fi
if [ "$node_major" -lt 20 ]; then
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || die "Node.js 20 or newer is needed (found $node_major); install it from nodejs.org and run me again."
fi

echo "==> Creating user $SERVICE_USER and $DATA_DIR"
if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
  useradd --system --home-dir "$DATA_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
fi
usermod -a -G dialout,video "$SERVICE_USER"
install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$DATA_DIR"

echo "==> Installing the agent in $PREFIX"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
if [ -f "$source_path" ]; then
  tar -xzf "$source_path" -C "$staging"
  [ -d "$staging/package" ] || die "$source_path is not an npm package archive (no package/ folder)."
  src="$staging/package"
else
  src=$source_path
fi
[ -f "$src/package.json" ] || die "$src has no package.json."
[ -f "$src/dist/cli.js" ] || die "$src/dist/cli.js is missing; build the agent first (npm run build -w agent)."
install -d "$PREFIX"
cp -a "$src/package.json" "$src/dist" "$PREFIX/"
(cd "$PREFIX" && npm install --omit=dev --no-audit --no-fund)

echo "==> Installing the service"
install -m 0644 "$script_dir/skystation-agent.service" "$UNIT"
if [ ! -f "$DEFAULTS" ]; then
  cat >"$DEFAULTS" <<'DEFAULTS_EOF'
# Extra flags for skystation-agent, e.g.:
# SKYSTATION_AGENT_ARGS=--camera gphoto2 --sensor arduino:/dev/serial/by-id/usb-Arduino-if00
SKYSTATION_AGENT_ARGS=
DEFAULTS_EOF
fi
systemctl daemon-reload
systemctl enable skystation-agent.service
systemctl restart skystation-agent.service

echo "==> Done. Status: systemctl status skystation-agent; logs: $DATA_DIR/logs/agent.log"
echo "    Pairing code: sudo -u $SERVICE_USER node $PREFIX/dist/cli.js pair --data-dir $DATA_DIR"
