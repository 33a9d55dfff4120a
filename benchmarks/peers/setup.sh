#!/usr/bin/env bash
# Makes the benchmark-only peer environments under .peers/ (git ignores them): TensorCircuit-ng and
# PennyLane, each with JAX on the CPU. Never dependencies of the project; benchmarks use them with --peers.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
make_env() {
  local name="$1"; shift
  if [ -x "$root/.peers/$name/bin/python" ]; then echo "peer $name: exists"; return; fi
  "$python" -m venv "$root/.peers/$name"
  "$root/.peers/$name/bin/pip" install --quiet --upgrade pip
  "$root/.peers/$name/bin/pip" install --quiet "$@"
  echo "peer $name: installed $*"
}
make_env tensorcircuit "tensorcircuit-ng==1.10.0" "jax[cpu]==0.7.2" "numpy<2.4"
make_env pennylane "pennylane==0.45.1" "jax[cpu]==0.7.2" "numpy<2.4"
