"""The typed, versioned training state of a NER run (no TensorFlow)."""

from __future__ import annotations

import json

import pytest

from sims.ner.rundir import RunDir, RunDirError
from sims.ner.state import STATE_VERSION, StateError, TrainingState


def _epoch(f1, speed=100.0):
    return {"loss": 0.5, "dev_entity_f1": f1, "train_tokens_per_s": speed}


def test_record_epoch_keeps_the_best_and_counts_the_wait():
    state = TrainingState()
    assert state.record_epoch(1, _epoch(0.5), "checkpoints/ckpt-1")
    assert not state.record_epoch(2, _epoch(0.4, 300.0), "checkpoints/ckpt-2")
    assert (state.best_f1, state.best_epoch, state.wait, state.epochs_done) == (0.5, 1, 1, 2)
    assert state.checkpoint == "checkpoints/ckpt-2" and [h["epoch"] for h in state.history] == [1, 2]
    assert state.stopped_early(1) and not state.stopped_early(2)
    assert state.mean_tokens_per_s() == pytest.approx(200.0)
    assert state.record_epoch(3, _epoch(0.6), "checkpoints/ckpt-3") and state.wait == 0


def test_state_round_trips_through_json_with_its_version():
    state = TrainingState()
    state.record_epoch(1, _epoch(0.7), "checkpoints/ckpt-1")
    data = json.loads(json.dumps(state.to_json()))
    assert data["version"] == STATE_VERSION
    assert TrainingState.from_json(data) == state


def test_a_state_file_without_a_version_loads_as_version_1():
    old = {"epochs_done": 1, "history": [{"epoch": 1, "dev_entity_f1": 0.3}], "wait": 0, "best_f1": 0.3,
           "best_epoch": 1}
    state = TrainingState.from_json(old)
    assert state.version == 1 and state.checkpoint is None and state.best_f1 == 0.3


@pytest.mark.parametrize("data, message", [
    ([], "expected a JSON object; got list"),
    ({"history": [], "wait": 0}, "bad or missing: epochs_done"),
    ({"epochs_done": -1, "history": [], "wait": "0"}, "bad or missing: epochs_done, wait"),
    ({"epochs_done": 0, "history": [], "wait": 0, "best_f1": float("nan")}, "bad or missing: best_f1"),
    ({"epochs_done": 0, "history": [3], "wait": 0}, "bad or missing: history"),
    ({"epochs_done": 2, "history": [{}], "wait": 0}, "history has 1 epochs but epochs_done is 2"),
    ({"epochs_done": 0, "history": [], "wait": 0, "version": 99}, "version 99 is newer than this toolkit reads"),
    ({"epochs_done": 0, "history": [], "wait": 0, "version": True}, "bad version True"),
])
def test_bad_states_name_what_is_wrong(data, message):
    with pytest.raises(StateError, match=message):
        TrainingState.from_json(data)


def test_the_run_folder_reads_and_writes_typed_states(tmp_path):
    run = RunDir(tmp_path)
    assert run.read_state() == TrainingState()  # no epoch finished yet
    state = TrainingState(epochs_done=1, history=[{"epoch": 1, **_epoch(0.2)}], best_f1=0.2, best_epoch=1)
    run.write_state(state)
    assert run.read_state() == state
    run.state_path.write_text(json.dumps({**state.to_json(), "version": STATE_VERSION + 1}))
    with pytest.raises(RunDirError) as error:
        run.read_state()
    message = str(error.value)
    assert "is not a training state (version" in message and "Delete it to train" in message
    assert "\n" not in message
