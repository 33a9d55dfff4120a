"""GPU backend selection and errors (any machine) and CPU/GPU agreement (GPU machines only)."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, run_sims

import plugins
import sims.gpu_info
from qcircuits import ConfigurationError
from sims.backends import AUTO_GPU_MIN_QUBITS, choose_auto, make_backend
from sims.gpu_info import GpuStatus, gpu_status

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`

CPU_ONLY = GpuStatus("0.22.1", False, False, False, False)
BUILT_NO_DEVICE = GpuStatus("0.22.0", True, False, False, False)
WITH_DEVICE = GpuStatus("0.22.0", True, True, True, True)


@pytest.fixture
def status(monkeypatch):
    def use(value: GpuStatus):
        monkeypatch.setattr(sims.gpu_info, "gpu_status", lambda: value)
    return use


@pytest.mark.parametrize("kind", ["qsim-gpu", "qsim-custatevec"])
def test_gpu_backend_on_a_cpu_only_build_says_how_to_get_one(status, kind):
    status(CPU_ONLY)
    with pytest.raises(ConfigurationError, match=f"Backend '{kind}' needs a qsimcirq built with .* run 'make gpu'"):
        make_backend(kind)


def test_gpu_build_without_a_device_is_a_clear_error(status):
    status(BUILT_NO_DEVICE)
    with pytest.raises(ConfigurationError, match="has CUDA kernels, but no CUDA device is visible"):
        make_backend("qsim-gpu")


@pytest.mark.parametrize("threads", [100, 16, 2048])
def test_invalid_gpu_thread_count_is_rejected_before_anything_else(status, threads):
    status(WITH_DEVICE)
    with pytest.raises(ConfigurationError, match=f"GPU thread count {threads} is invalid; expected a power of two"):
        make_backend("qsim-gpu", gpu_threads=threads)


def test_auto_picks_the_cpu_for_small_circuits_and_says_why(status):
    status(WITH_DEVICE)
    assert choose_auto(8)[0] == "qsim" and "8 qubits < 20" in choose_auto(8)[1]
    assert choose_auto(AUTO_GPU_MIN_QUBITS)[0] == "qsim-gpu"
    status(CPU_ONLY)
    assert choose_auto(26) == ("qsim", "26 qubits, but no usable GPU build or device")
    backend = make_backend("auto", qubits=4)
    assert backend.name == "qsim" and backend.selection.startswith("auto -> qsim")


def test_cli_reports_the_auto_choice():
    result = run_sims("--backend", "auto", "--qubits", "3", "--batch", "2")
    assert result.returncode == 0 and result.stdout.startswith("auto -> qsim: 3 qubits < 20")


def test_same_gpu_error_from_the_layer_and_the_descriptors(status):
    status(CPU_ONLY)
    from sims.descriptors import DescriptorOptions, describe_ansatz
    from sims.layers import QuantumLayer

    with pytest.raises(ConfigurationError, match="run 'make gpu'"):
        QuantumLayer("hardware_efficient", backend="qsim-gpu")
    with pytest.raises(ConfigurationError, match="run 'make gpu'"):
        describe_ansatz("sim_01", 2, 1, DescriptorOptions(samples=100, grad_samples=10, backend="qsim-gpu"))


def test_status_reflects_the_installed_qsimcirq():
    import qsimcirq

    from sims.gpu_info import cuda_device_count

    real = gpu_status()
    assert real.qsim_version == qsimcirq.__version__
    assert real.cuda_device == (qsimcirq.qsim_gpu is not None and cuda_device_count() > 0)
    assert not real.cuda_device or real.cuda_kernels_built


HAS_GPU = gpu_status().cuda_device


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs a qsimcirq built with CUDA ('make gpu') and a CUDA device")
@pytest.mark.parametrize("name", plugins.list_ansatze())
@pytest.mark.parametrize("kind", ["qsim-gpu", "qsim-custatevec"])
def test_gpu_and_cpu_agree_at_12_qubits(name, kind):
    if kind == "qsim-custatevec" and not gpu_status().custatevec_usable:
        pytest.skip("qsimcirq was built without cuStateVec")
    depth = None if name == "tree_tensor_network" else 2
    options = {"qubits": 12, **({"depth": depth} if depth else {})}
    ansatz = plugins.create(name, **options)
    values = ansatz.random_parameter_values(16, np.random.default_rng(0))
    np.testing.assert_allclose(make_backend(kind).expectations(ansatz, values),
                               make_backend("qsim").expectations(ansatz, values), atol=1e-5)


def _build(env):
    import os

    return subprocess.run(["bash", "scripts/build_qsim_gpu.sh"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})


def test_gpu_build_without_nvcc_fails_with_one_line():
    result = _build({"PATH": "/usr/bin:/bin", "VENV": sys.prefix})
    assert result.returncode == 2
    assert result.stderr.strip() == ("make gpu: nvcc (the CUDA compiler) is not on PATH; install the CUDA toolkit "
                                     "or add its bin folder to PATH")


def test_gpu_build_without_the_project_environment_fails_with_one_line(tmp_path):
    result = _build({"VENV": str(tmp_path / "no-venv")})
    assert result.returncode == 2
    assert "no project environment at" in result.stderr and "make install" in result.stderr
