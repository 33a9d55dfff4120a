"""Property-based fuzz tests: every input parses, or fails with our one-line error type.

Each property draws a bounded number of examples (``max_examples``) so that the suite keeps
its time; hypothesis shrinks any failure to a minimal input and prints it.
"""

from __future__ import annotations

import os
import re
import string

import cirq
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import plugins
from qcircuits.entanglement import validate_entanglement
from qcircuits.errors import ConfigurationError
from qcircuits.readouts import build_readouts
from sims.commands.metrics import parse_range
from sims.ner.conll import ConllFormatError, check_encoding, read_conll

# FUZZ_SCALE=20 runs twenty times as many examples (a deeper search than the suite affords).
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
FAST = settings(max_examples=int(150 * SCALE), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=int(40 * SCALE), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-ORG", "B-", "X-PER", "I-", "o", ""]


# --- CoNLL reader -------------------------------------------------------------------------------

def _read(tmp_path, data: bytes, encoding: str = "utf-8"):
    path = tmp_path / "train.txt"
    path.write_bytes(data)
    try:
        return read_conll(path, encoding)
    except ConllFormatError as exc:
        message = str(exc)
        assert "\n" not in message and message, message
        return None


@FAST
@given(data=st.binary(max_size=400), encoding=st.sampled_from(["utf-8", "latin-1", "utf-16", "cp1252"]))
def test_conll_reader_on_arbitrary_bytes_parses_or_names_the_problem(tmp_path, data, encoding):
    sentences = _read(tmp_path, data, encoding)
    if sentences is not None:
        assert sentences and all(len(s.words) == len(s.tags) > 0 for s in sentences)
        assert all(tag == "O" or tag[:2] in ("B-", "I-") for s in sentences for tag in s.tags)


words = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n \t"),
                min_size=1, max_size=6)
rows = st.lists(st.tuples(words, st.lists(words, max_size=2), st.sampled_from(TAGS)), max_size=8)
blocks = st.lists(st.one_of(rows, st.just("BLANK"), st.just("DOCSTART")), max_size=5)


@FAST
@given(structure=blocks, newline=st.sampled_from(["\n", "\r\n", "\r"]),
       separator=st.sampled_from([" ", "\t", "  "]), encoding=st.sampled_from(["utf-8", "latin-1"]))
def test_conll_reader_on_line_structures_keeps_every_token(tmp_path, structure, newline, separator, encoding):
    lines = []
    for block in structure:
        if block == "BLANK":
            lines.append("")
        elif block == "DOCSTART":
            lines.append("-DOCSTART- -X- O O")
        else:
            lines.extend(separator.join([word, *middle, tag]).strip(" \t") for word, middle, tag in block)
    text = newline.join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    sentences = _read(tmp_path, data, encoding)
    if sentences is not None:
        tokens = [line for line in lines if line and not line.startswith("-DOCSTART-")]
        assert sum(len(s.words) for s in sentences) == len(tokens)
        assert [w for s in sentences for w in s.words] == [re.split(r"[ \t]+", line)[0] for line in tokens]


@FAST
@given(name=st.text(max_size=12))
def test_text_encoding_names_resolve_or_fail_in_one_line(name):
    try:
        canonical = check_encoding(name)
    except ConllFormatError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(b"abc".decode(canonical), str)


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib", "hex"])
def test_codecs_that_do_not_decode_text_are_refused(codec):
    with pytest.raises(ConllFormatError, match="Unknown text encoding"):
        check_encoding(codec)


def test_latin1_separators_inside_words_stay_in_the_word(tmp_path):
    # U+0085 (NEL) and U+00A0 (no-break space) are text in Latin-1, not line or column breaks.
    data = "M\x85ller B-PER\nS\xa0A B-ORG\n".encode("latin-1")
    sentences = read_conll(_write(tmp_path, data), "latin-1")
    assert sentences[0].words == ("M\x85ller", "S\xa0A")


def test_utf16_files_are_decoded_before_they_are_split(tmp_path):
    data = "Rom B-LOC\nist O\n".encode("utf-16")
    assert read_conll(_write(tmp_path, data), "utf-16")[0].words == ("Rom", "ist")


def _write(tmp_path, data: bytes):
    path = tmp_path / "train.txt"
    path.write_bytes(data)
    return path


# --- parsers of circuit options -----------------------------------------------------------------

spec_text = st.text(alphabet=string.digits + "-, abcXYZIz*²٣" + string.ascii_letters[:6], max_size=16)


@FAST
@given(text=st.one_of(spec_text, st.text(max_size=16)), qubits=st.integers(1, 8))
def test_entanglement_parser_on_arbitrary_strings(text, qubits):
    try:
        spec = validate_entanglement(text, qubits)
    except ConfigurationError as exc:
        assert "\n" not in str(exc)
    else:
        if not isinstance(spec, str):
            assert all(0 <= i < qubits and 0 <= j < qubits and i != j for i, j in spec)


@FAST
@given(text=st.one_of(spec_text, st.text(max_size=16)), qubits=st.integers(1, 6))
def test_readout_parser_on_arbitrary_strings(text, qubits):
    line = cirq.LineQubit.range(qubits)
    try:
        readouts = build_readouts(text, line)
    except ConfigurationError as exc:
        assert "\n" not in str(exc)
    else:
        assert readouts and all(set(r.qubits) <= set(line) and len(r.qubits) > 0 for r in readouts)


@FAST
@given(text=st.one_of(st.text(alphabet=string.digits + "-, ", max_size=14), st.text(max_size=10)))
def test_range_parser_on_arbitrary_strings(text):
    try:
        values = parse_range(text, "qubits", 4)
    except ConfigurationError as exc:
        assert "\n" not in str(exc)
    else:
        assert values and all(isinstance(v, int) for v in values)


def test_range_parser_refuses_a_range_too_long_to_list():
    with pytest.raises(ConfigurationError, match="at most"):
        parse_range("1-99999999999", "qubits", 4)


# --- plugins.create / shape ---------------------------------------------------------------------

odd_values = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True), st.text(max_size=4),
                       st.lists(st.integers(-2, 9), max_size=3), st.integers(-3, 0),
                       st.integers(min_value=1025, max_value=10**30))
option_values = {
    "qubits": st.one_of(st.integers(1, 6), odd_values),
    "depth": st.one_of(st.integers(1, 3), odd_values),
    "entanglement": st.one_of(st.sampled_from(["linear", "circular", "full", "0-1", "0-1,1-2", "9-9"]), odd_values),
    "encoding": st.one_of(st.sampled_from(["angle_x", "angle_y", "dense_angle", "iqp", "none"]), odd_values),
    "features": st.one_of(st.integers(1, 8), odd_values),
    "reupload": st.one_of(st.booleans(), odd_values),
    "readout": st.one_of(st.sampled_from(["z", "0", "ZZ", "Z0 Z1", "X0*Y1"]), odd_values),
    "colour": odd_values,
}


@SLOW
@given(name=st.sampled_from(plugins.list_ansatze()),
       options=st.dictionaries(st.sampled_from(sorted(option_values)), st.none(), max_size=4).flatmap(
           lambda keys: st.fixed_dictionaries({k: option_values[k] for k in keys})))
def test_create_and_shape_on_arbitrary_options(name, options):
    try:
        ansatz = plugins.create(name, **options)
    except ConfigurationError as exc:
        assert "\n" not in str(exc).strip(), str(exc)
        ansatz = None
    try:
        weights = plugins.shape(name, **options)
    except ConfigurationError as exc:
        assert ansatz is None, f"shape refused what create built: {exc}"
    else:
        assert isinstance(weights, int) and weights >= 0
        if ansatz is not None:
            assert weights == ansatz.n_weights


@pytest.mark.parametrize("option", ["qubits", "depth"])
def test_counts_beyond_any_simulator_are_refused_at_once(option):
    with pytest.raises(ConfigurationError, match=f"{option} must be <= 1024"):
        plugins.create("hardware_efficient", **{option: 10**9})
    with pytest.raises(ConfigurationError, match=f"{option} must be <= 1024"):
        plugins.shape("hardware_efficient", **{option: 10**9})


# --- sims.run argument combinations -------------------------------------------------------------

def _flag(name, values):
    return st.tuples(st.just(name), values)


REPORT_FLAGS = [
    _flag("--ansatz", st.sampled_from(["hardware_efficient", "sim_2", "tree_tensor_network", "nope", ""])),
    _flag("--qubits", st.sampled_from(["2", "3", "4", "0", "-1", "x", "2-3", "99999999999"])),
    _flag("--depth", st.sampled_from(["1", "2", "0", "1.5", "1025"])),
    _flag("--entanglement", st.sampled_from(["linear", "full", "0-1", "0-9", "star", "zig", "²-1"])),
    _flag("--encoding", st.sampled_from(["angle_y", "iqp", "none", "latin"])),
    _flag("--readout", st.sampled_from(["z", "0", "ZZ", "Q7", "0,0"])),
    _flag("--backend", st.sampled_from(["qsim", "cirq", "auto", "bogus"])),
    _flag("--batch", st.sampled_from(["1", "4", "0", "-3", "99999999999999"])),
    _flag("--seed", st.sampled_from(["0", "7", "-1", "4294967296", "x"])),
    _flag("--threads", st.sampled_from(["1", "0", "10000"])),
    _flag("--features", st.sampled_from(["1", "2", "0", "100"])),
]
OTHER_MODE_FLAGS = [
    _flag("--epochs", st.sampled_from(["1", "0"])),
    _flag("--head", st.sampled_from(["quantum", "linear"])),
    _flag("--samples", st.sampled_from(["100", "1"])),
    _flag("--metric-seeds", st.sampled_from(["1"])),
    _flag("--task", st.sampled_from(["report", "ner", "other"])),
    _flag("--bogus-flag", st.just("1")),
]


def _check_cli_outcome(capsys, argv):
    from sims.run import main

    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    if code == 0:
        return True
    assert code == 2, (argv, code, err)
    messages = [line for line in err.splitlines() if line.strip() and not line.startswith("note:")]
    assert len(messages) == 1 and re.match(r"python -m sims\.run( [a-z]+)?: error: ", messages[0]), (argv, err)
    return False


@SLOW
@given(flags=st.lists(st.one_of(*REPORT_FLAGS), min_size=1, max_size=5, unique_by=lambda f: f[0]))
def test_run_report_options_succeed_or_fail_in_one_line(capsys, flags):
    argv = [part for flag in flags for part in flag]
    _check_cli_outcome(capsys, argv)


FOREIGN = {"--epochs", "--head", "--samples", "--metric-seeds", "--bogus-flag"}


@SLOW
@given(flags=st.lists(st.one_of(*REPORT_FLAGS, *OTHER_MODE_FLAGS), min_size=1, max_size=4,
                      unique_by=lambda f: f[0]).filter(lambda fs: any(f[0] in FOREIGN for f in fs)))
def test_run_options_of_another_mode_are_refused(capsys, flags):
    argv = [part for flag in flags for part in flag]
    task_ner = ("--task", "ner") in flags
    if task_ner:
        argv += ["--data-dir", "/nonexistent/conll"]  # an NER run that passes every check stops here
    assert not _check_cli_outcome(capsys, argv), f"{argv} was accepted"


# --- sweep files -------------------------------------------------------------------------------

SWEEP_KEYS = ["task", "seeds", "options", "grid", "configurations", "resources", "metric", "scheduler", "other"]
OPTION_NAMES = ["qubits", "depth", "ansatz", "samples", "grad-samples", "metric-seeds", "backend", "batch",
                "head", "epochs", "data-dir", "nonsense"]
scalars = st.one_of(st.integers(-3, 5000), st.booleans(), st.floats(allow_nan=True),
                    st.sampled_from(["metrics", "ner", "layer-bench", "hardware_efficient", "sim_14", "", "x"]))
values = st.one_of(scalars, st.lists(scalars, max_size=3))
option_tables = st.dictionaries(st.sampled_from(OPTION_NAMES), values, max_size=4)
sweep_data = st.dictionaries(st.sampled_from(SWEEP_KEYS), st.one_of(
    values, option_tables, st.lists(option_tables, max_size=2)), max_size=6)


@SLOW
@given(data=sweep_data)
def test_sweep_file_contents_are_checked_or_refused_in_one_line(tmp_path, data):
    from sims.sweep.spec import spec_from_data

    if isinstance(data.get("options"), dict) and "data-dir" in data["options"]:
        data["options"]["data-dir"] = str(tmp_path / "missing")  # never a folder of the test's cwd
    try:
        spec = spec_from_data(data, tmp_path / "sweep.toml")
    except ConfigurationError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        return
    assert spec.trials() and all(t.seed in spec.seeds for t in spec.trials())


@FAST
@given(data=st.binary(max_size=200))
def test_sweep_file_bytes_are_read_or_refused_in_one_line(tmp_path, data):
    from sims.sweep.spec import load_spec

    path = tmp_path / "sweep.toml"
    path.write_bytes(data)
    try:
        load_spec(path)
    except ConfigurationError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)


# --- the NER Python API ------------------------------------------------------------------------

leaves = st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=8), st.binary(max_size=4))
sentence_inputs = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner), max_leaves=8)


@FAST
@given(given_input=sentence_inputs)
def test_predict_input_is_sentences_or_one_line(given_input):
    from sims.ner.conll import sentence_words

    try:
        words = sentence_words(given_input)
    except ConfigurationError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)
        return
    assert all(isinstance(s, tuple) and s and all(isinstance(w, str) and w.strip() for w in s) for s in words)


ner_fields = st.fixed_dictionaries({}, optional={
    "qubits": st.one_of(st.integers(-2, 40), st.floats(), st.text(max_size=3)),
    "depth": st.one_of(st.integers(-1, 5), st.none()),
    "epochs": st.integers(-1, 3),
    "learning_rate": st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3)),
    "head": st.sampled_from(["quantum", "linear", "bottleneck", "", "nope"]),
    "scaling": st.sampled_from(["tanh", "linear", "layernorm", "sigmoid", ""]),
    "max_length": st.integers(0, 1000),
    "batch_size": st.one_of(st.integers(-1, 64), st.none()),
    "data_encoding": st.sampled_from(["utf-8", "latin-1", "rot13", "nope"]),
    "backend": st.sampled_from(["auto", "statevector", "tfq", "qsim", "nope"]),
})


@SLOW
@given(fields=ner_fields)
def test_ner_options_are_built_or_refused_in_one_line(fields):
    pytest.importorskip("transformers")
    from sims.ner.options import NerOptions

    try:
        options = NerOptions(**fields)
    except ConfigurationError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)
        return
    assert options.qubits >= 1 and options.epochs >= 1 and options.learning_rate > 0
