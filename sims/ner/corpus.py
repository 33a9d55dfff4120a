"""A data folder's splits (train, dev, test) and the tag set from training."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sims.ner.conll import Sentence, check_known_tags, find_split_files, read_conll, tag_set
from sims.ner.options import DEMO_DATA


@dataclasses.dataclass
class Corpus:
    """The splits of a data folder, with the tag set from training."""

    files: dict[str, Path]
    splits: dict[str, list[Sentence]]
    tags: list[str]

    @classmethod
    def load(cls, data_dir: str | Path | None, max_sentences: int | None = None,
             encoding: str = "utf-8") -> Corpus:
        files = find_split_files(data_dir or DEMO_DATA)
        splits = {split: read_conll(path, encoding) for split, path in files.items()}
        hint = ""
        if max_sentences and max_sentences < len(splits["train"]):
            splits["train"] = splits["train"][:max_sentences]
            hint = f" (training read only its first {max_sentences} sentences: --max-sentences)"
        tags = tag_set(splits["train"])
        for split in ("dev", "test"):
            if split in splits:
                check_known_tags(splits[split], tags, split, files[split], hint)
        return cls(files, splits, tags)

    def words(self, split: str) -> list[tuple[str, ...]]:
        return [s.words for s in self.splits[split]]

    def gold(self, split: str) -> list[list[str]]:
        return [list(s.tags) for s in self.splits[split]]
