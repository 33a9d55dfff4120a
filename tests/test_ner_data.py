"""CoNLL reading, tag handling, word/sub-token alignment and NER metrics."""

from pathlib import Path

import pytest

from sims.ner.conll import ConllFormatError, check_known_tags, find_split_files, iob1_to_iob2, read_conll, tag_set

pytestmark = pytest.mark.tf  # needs TensorFlow: left out of `make test-fast`

FOUR_COLUMN_IOB1 = (
    "-DOCSTART- -X- -X- O\r\n\r\n"
    "EU NNP I-NP I-ORG\r\nrejects VBZ I-VP O\r\nGerman JJ I-NP I-MISC\r\ncall NN I-NP O\r\n\r\n\r\n"
    "Peter NNP I-NP I-PER\r\nBlackburn NNP I-NP I-PER\r\nand CC O O\r\nParis NNP I-NP I-LOC\r\n"
    "Lyon NNP I-NP B-LOC\r\n\r\n"
)
TWO_COLUMN_IOB2 = (
    "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\n"
    "Peter B-PER\nBlackburn I-PER\nand O\nParis B-LOC\nLyon B-LOC\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_four_column_iob1_crlf_and_two_column_iob2_read_the_same(tmp_path):
    a = read_conll(_write(tmp_path, "a.txt", FOUR_COLUMN_IOB1))
    b = read_conll(_write(tmp_path, "b.txt", TWO_COLUMN_IOB2))
    assert a == b
    assert a[1].tags == ("B-PER", "I-PER", "O", "B-LOC", "B-LOC")
    assert len(a) == 2


@pytest.mark.parametrize("iob1, iob2", [
    (["I-PER", "I-PER", "O", "I-LOC"], ["B-PER", "I-PER", "O", "B-LOC"]),
    (["I-LOC", "B-LOC", "I-LOC"], ["B-LOC", "B-LOC", "I-LOC"]),
    (["I-ORG", "I-PER"], ["B-ORG", "B-PER"]),
    (["B-PER", "I-PER"], ["B-PER", "I-PER"]),
])
def test_iob1_to_iob2(iob1, iob2):
    assert iob1_to_iob2(iob1) == iob2


@pytest.mark.parametrize("text, match", [
    ("EU B-ORG\nrejects\n", r"bad.txt:2: expected 2 columns"),
    ("EU NNP I-NP X-ORG\n", r"bad.txt:1: invalid NER tag 'X-ORG'"),
    ("EU\n", r"bad.txt:1: expected at least 2 columns"),
    ("", "holds no sentences"),
    ("\r\n\r\n-DOCSTART- -X- -X- O\r\n\r\n", "holds no sentences"),
])
def test_malformed_and_empty_files_name_file_and_line(tmp_path, text, match):
    with pytest.raises(ConllFormatError, match=match):
        read_conll(_write(tmp_path, "bad.txt", text))


def test_missing_files_and_folders(tmp_path):
    with pytest.raises(ConllFormatError, match="does not exist"):
        read_conll(tmp_path / "nope.txt")
    with pytest.raises(ConllFormatError, match="Data directory .* does not exist"):
        find_split_files(tmp_path / "nowhere")
    _write(tmp_path, "train.txt", TWO_COLUMN_IOB2)
    with pytest.raises(ConllFormatError, match="No dev file"):
        find_split_files(tmp_path)
    _write(tmp_path, "eng.testa", TWO_COLUMN_IOB2)
    assert set(find_split_files(tmp_path)) == {"train", "dev"}


def test_unseen_tag_in_dev_is_named_with_its_count(tmp_path, capsys):
    train = read_conll(_write(tmp_path, "train.txt", TWO_COLUMN_IOB2))
    dev = read_conll(_write(tmp_path, "dev.txt", "Bonn B-CITY\n\nKoeln B-CITY\nis O\n"))
    tags = tag_set(train)
    assert tags == ["O", "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-PER"]
    assert check_known_tags(dev, tags, "dev", tmp_path / "dev.txt") == {"B-CITY": 2}
    assert "the dev file" in capsys.readouterr().err
    assert check_known_tags(train, tags, "dev", tmp_path / "train.txt") == {}


CONLL = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003"


@pytest.mark.skipif(not CONLL.is_dir(), reason="the shared CoNLL-2003 files are not beside this clone")
@pytest.mark.parametrize("name, sentences, tokens", [("eng.train", 14041, 203621), ("eng.testa", 3250, 51362)])
def test_real_conll2003_files_load_with_the_documented_counts(name, sentences, tokens):
    data = read_conll(CONLL / name)
    assert len(data) == sentences
    assert sum(len(s.words) for s in data) == tokens
    assert all(not t.startswith("I-") or i > 0 for s in data for i, t in enumerate(s.tags))  # IOB2


def test_entity_and_token_reports():
    from sims.ner.evaluation import entities, entity_f1, entity_report, token_report

    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"]]
    report = entity_report(gold, pred)
    assert report["PER"]["f1-score"] == 1.0 and report["LOC"]["recall"] == 0.0
    assert report["micro avg"]["precision"] == 0.5 and entity_f1(gold, pred) == 0.5
    tokens = token_report(gold, pred, ["O", "B-LOC", "B-ORG", "B-PER", "I-PER"])
    assert tokens["B-LOC"]["support"] == 1 and tokens["B-LOC"]["recall"] == 0.0
    assert tokens["micro avg"]["f1-score"] == 0.75
    assert entities(["Angela", "Merkel", "in", "Paris"], ["B-PER", "I-PER", "O", "B-LOC"]) == [
        ("PER", "Angela Merkel"), ("LOC", "Paris")]


def test_long_sentences_are_windowed_and_every_word_is_aligned():
    from transformers import BertTokenizerFast

    from sims.ner.alignment import split_sentences, tokenize_segments
    from sims.ner.encoder import minilm_directory

    tokenizer = BertTokenizerFast.from_pretrained(minilm_directory())
    sentence = tuple("The unbelievably long Kilimanjaro expedition started in Dar es Salaam yesterday".split()) * 4
    segments = split_sentences(tokenizer, [("Short", "one"), sentence], max_length=16)
    assert [w for s in segments if s.sentence == 1 for w in s.words] == list(sentence)
    assert len([s for s in segments if s.sentence == 1]) > 1
    arrays = tokenize_segments(tokenizer, segments, 16)
    assert arrays["input_ids"].shape[1] <= 16
    for row, segment in enumerate(segments):
        ids = arrays["input_ids"][row]
        for j, word in enumerate(segment.words):
            first = tokenizer.convert_ids_to_tokens(int(ids[arrays["word_positions"][row, j]]))
            assert word.lower().startswith(first.lstrip("#")), (word, first)
        assert arrays["word_mask"][row].sum() == len(segment.words)
