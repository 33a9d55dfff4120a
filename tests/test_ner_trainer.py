"""NerTrainer: train, evaluate and predict with one NER run from Python."""

from __future__ import annotations

import json

import pytest
from helpers import write_ner_data

pytest.importorskip("transformers")
from qcircuits.errors import ConfigurationError  # noqa: E402
from sims.ner.options import NerOptions  # noqa: E402
from sims.ner.rundir import RunDirError  # noqa: E402
from sims.ner.trainer import NerTrainer  # noqa: E402

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`


def test_train_evaluate_predict_and_reload_from_the_run_folder(tmp_path, capsys):
    data = write_ner_data(tmp_path / "data")
    run = tmp_path / "run"
    options = NerOptions(data_dir=str(data), run_dir=str(run), encoder="tiny", head="bottleneck", qubits=3,
                         epochs=2, batch_size=8)
    trainer = NerTrainer(options)
    metrics = trainer.train()
    assert metrics == json.loads((run / "metrics.json").read_text()) and metrics["epochs_done"] == 2

    evaluation = trainer.evaluate(data / "test.txt", out_dir=tmp_path / "eval")
    assert evaluation["sentences"] > 0 and (tmp_path / "eval" / "predictions.conll").is_file()
    # The same scores as training's own test report: both use the best model.
    assert evaluation["entity"] == metrics["test"]["entity"]

    tags = set(json.loads((run / "config.json").read_text())["tags"])
    predicted = trainer.predict(["Alice visited Rome .", ("Bob", "Walker")])
    assert [len(p) for p in predicted] == [4, 2] and set(sum(predicted, [])) <= tags

    again = NerTrainer.from_run(run)
    assert again.options.head == "bottleneck" and again.options.qubits == 3
    assert again.predict(["Alice visited Rome .", ("Bob", "Walker")]) == predicted
    assert again.train()["epochs_done"] == 2  # finished: nothing more to train, scored again
    capsys.readouterr()


def test_bad_uses_are_one_line_errors(tmp_path):
    with pytest.raises(RunDirError, match="is not a run folder"):
        NerTrainer.from_run(tmp_path / "missing")
    trainer = NerTrainer(NerOptions(run_dir=str(tmp_path / "empty"), encoder="tiny"))
    with pytest.raises(ConfigurationError, match="Sentence 1 is empty"):
        trainer.predict(["Alice", ""])
    with pytest.raises(ConfigurationError, match="is not a run folder"):
        trainer.predict(["Alice"])
