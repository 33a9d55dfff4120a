#!/usr/bin/env bash
# Builds qsimcirq with its CUDA kernels (and cuStateVec kernels where cuStateVec is
# installed) from the qsimcirq source distribution, and installs it into the project
# venv. Usage: make gpu   (or VENV=path CUDAARCHS=90 scripts/build_qsim_gpu.sh)
#
# Why this is needed: the PyPI qsimcirq wheels hold CPU kernels only. 0.22.0 is the
# newest release with a source distribution. Its CMake fetches pybind11 with git,
# which fails offline; we point it at the pybind11 installed from the registry.
set -euo pipefail

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
QSIM_VERSION=${QSIM_VERSION:-0.22.0}
BUILD=${BUILD:-build/qsim-gpu}
# Hopper (H100/H200) by default; CMake's "native" needs a GPU at build time.
export CUDAARCHS=${CUDAARCHS:-90}

fail() { echo "make gpu: $*" >&2; exit 2; }

[ -x "$PY" ] || fail "no project environment at $VENV; run 'make install' first"
command -v nvcc >/dev/null 2>&1 || fail "nvcc (the CUDA compiler) is not on PATH; install the CUDA toolkit or add its bin folder to PATH"
NVCC_VERSION=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
CUDART=""
for home in ${CUDA_HOME:-} "$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")")" /usr/local/cuda; do
  CUDART=$(ls "$home"/lib64/libcudart.so.* "$home"/targets/*/lib/libcudart.so.* 2>/dev/null | head -n 1 || true)
  if [ -n "$CUDART" ]; then CUDA_HOME=$home; break; fi
done
[ -n "$CUDART" ] || fail "the CUDA runtime (libcudart.so) was not found; set CUDA_HOME to the CUDA toolkit folder"
echo "found: nvcc $NVCC_VERSION, CUDA runtime $(basename "$CUDART") in $CUDA_HOME, target architectures $CUDAARCHS"

# cuStateVec from the registry's custatevec-cu12/-cu13 wheels (they install under cuquantum/).
if [ -z "${CUQUANTUM_ROOT:-}" ]; then
  CUQUANTUM_ROOT=$("$PY" - <<'PY' 2>/dev/null || true
import importlib.util, pathlib
spec = importlib.util.find_spec("cuquantum")
roots = [pathlib.Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
for root in roots:
    if list(root.glob("lib*/libcustatevec.so*")) and (root / "include" / "custatevec.h").exists():
        print(root)
        break
PY
)
fi
if [ -n "${CUQUANTUM_ROOT:-}" ]; then
  export CUQUANTUM_ROOT
  echo "found: cuStateVec in $CUQUANTUM_ROOT (building qsim_custatevec too)"
else
  unset CUQUANTUM_ROOT
  echo "not found: cuStateVec (pip install custatevec-cu13 to build its kernels); building CUDA kernels only"
fi

"$PY" -m pip install -q --disable-pip-version-check "cmake~=3.31.0" "pybind11==2.13.6" setuptools wheel packaging
mkdir -p "$BUILD"
rm -rf "$BUILD/qsimcirq-$QSIM_VERSION" "$BUILD/dist"
if [ ! -f "$BUILD/qsimcirq-$QSIM_VERSION.tar.gz" ]; then
  "$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: --no-build-isolation \
    -d "$BUILD" "qsimcirq==$QSIM_VERSION" || fail "could not download the qsimcirq $QSIM_VERSION source distribution"
fi
tar -xzf "$BUILD/qsimcirq-$QSIM_VERSION.tar.gz" -C "$BUILD"
SRC="$BUILD/qsimcirq-$QSIM_VERSION"
# Offline: use the installed pybind11 (the version qsim pins) instead of a git checkout.
# qsim's CMake files read FetchContent's pybind11_SOURCE_DIR, so set it to the package root.
# It also reads the classic PYTHON_* variables, which config-mode pybind11 leaves unset.
cat > "$SRC/pybind_interface/GetPybind11.cmake" <<'CMAKE'
find_package(Python3 3.10 REQUIRED COMPONENTS Interpreter Development.Module)
find_package(pybind11 2.13.6 CONFIG REQUIRED)
get_filename_component(pybind11_SOURCE_DIR "${pybind11_INCLUDE_DIR}" DIRECTORY)
if(NOT PYTHON_INCLUDE_DIRS)
  set(PYTHON_INCLUDE_DIRS ${Python3_INCLUDE_DIRS})
endif()
if(NOT PYTHON_MODULE_EXTENSION)
  execute_process(COMMAND ${Python3_EXECUTABLE} -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"
                  OUTPUT_VARIABLE PYTHON_MODULE_EXTENSION OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
CMAKE

export CMAKE_ARGS="-Dpybind11_DIR=$("$PY" -m pybind11 --cmakedir) -DCMAKE_CUDA_ARCHITECTURES=$CUDAARCHS -DPython3_EXECUTABLE=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
export PATH="$(cd "$VENV/bin" && pwd):$PATH"  # the venv's CMake 3.31 first
echo "building qsimcirq $QSIM_VERSION (several minutes)..."
"$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$BUILD/dist" "$SRC" \
  > "$BUILD/build.log" 2>&1 || { tail -n 30 "$BUILD/build.log" >&2; fail "the build failed; see $BUILD/build.log"; }
WHEEL=$(ls "$BUILD"/dist/qsimcirq-*.whl)
MODULES=$("$PY" -c "import sys, zipfile; print(' '.join(sorted(n.split('/')[-1].split('.')[0] for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith('.so'))))" "$WHEEL")
echo "built: $(basename "$WHEEL") with modules: $MODULES"
case " $MODULES " in *" qsim_cuda "*) ;; *) fail "the wheel has no qsim_cuda module; see $BUILD/build.log";; esac
"$PY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$WHEEL"
"$PY" -m sims.gpu_info
