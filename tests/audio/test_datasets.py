"""ember.audio.datasets.SPEECHCOMMANDS on a small tree laid out like the extracted archive."""
import os

import numpy as np
import pytest

import ember
import ember.audio as torchaudio
from ember.audio.datasets import SPEECHCOMMANDS
from ember.utils.data import DataLoader

FILES = {
    "yes": ["0a7c2a8d_nohash_0.wav", "0a7c2a8d_nohash_1.wav", "1b4c9b89_nohash_0.wav"],
    "no": ["0a7c2a8d_nohash_0.wav", "c1d39ce8_nohash_3.wav"],
    "up": ["fb8c31a9_nohash_2.wav"],
}
VALIDATION = ["yes/1b4c9b89_nohash_0.wav", "no/c1d39ce8_nohash_3.wav"]
TESTING = ["up/fb8c31a9_nohash_2.wav"]


@pytest.fixture
def speech_root(tmp_path):
    base = tmp_path / "SpeechCommands" / "speech_commands_v0.02"
    rng = np.random.default_rng(0)
    for label, names in FILES.items():
        (base / label).mkdir(parents=True)
        for i, name in enumerate(names):
            wav = ember.tensor((rng.uniform(-1, 1, (1, 800 + 100 * i)) * 30000).astype(np.int16))
            torchaudio.save(base / label / name, wav, 16000)
    noise = base / "_background_noise_"
    noise.mkdir()
    torchaudio.save(noise / "white_noise.wav", ember.zeros(1, 1600), 16000)
    (base / "validation_list.txt").write_text("\n".join(VALIDATION) + "\n")
    (base / "testing_list.txt").write_text("\n".join(TESTING) + "\n")
    (base / "README.md").write_text("not audio")
    return tmp_path


def test_full_set_items_and_order(speech_root):
    ds = SPEECHCOMMANDS(speech_root)
    assert len(ds) == 6                                    # background noise is left out
    waveform, rate, label, speaker, utterance = ds[0]
    assert (rate, label, speaker, utterance) == (16000, "no", "0a7c2a8d", 0)
    assert waveform.dtype is ember.float32 and tuple(waveform.shape) == (1, 800)
    labels = [ds.get_metadata(i)[2] for i in range(len(ds))]
    assert labels == ["no", "no", "up", "yes", "yes", "yes"]          # sorted paths
    rel, rate, label, speaker, utt = ds.get_metadata(5)
    assert (rel, rate, label, speaker, utt) == (os.path.join("yes", "1b4c9b89_nohash_0.wav"),
                                                16000, "yes", "1b4c9b89", 0)
    w, _ = torchaudio.load(speech_root / "SpeechCommands" / "speech_commands_v0.02" / rel)
    np.testing.assert_array_equal(ds[5][0].numpy(), w.numpy())


def test_subsets(speech_root):
    val = SPEECHCOMMANDS(speech_root, subset="validation")
    test = SPEECHCOMMANDS(speech_root, subset="testing")
    train = SPEECHCOMMANDS(speech_root, subset="training")
    assert [val.get_metadata(i)[0] for i in range(len(val))] == [os.path.normpath(p)
                                                                for p in VALIDATION]
    assert [test[i][2] for i in range(len(test))] == ["up"]
    names = {train.get_metadata(i)[0] for i in range(len(train))}
    assert len(train) == 3 and not names & {os.path.normpath(p) for p in VALIDATION + TESTING}
    with pytest.raises(ValueError, match="must be one of"):
        SPEECHCOMMANDS(speech_root, subset="train")


def test_custom_url_and_folder(tmp_path, speech_root):
    os.rename(speech_root / "SpeechCommands" / "speech_commands_v0.02",
              speech_root / "SpeechCommands" / "speech_commands_v0.01")
    ds = SPEECHCOMMANDS(speech_root, url="speech_commands_v0.01")
    assert len(ds) == 6
    os.rename(speech_root / "SpeechCommands", speech_root / "SC")
    ds = SPEECHCOMMANDS(speech_root, url="https://example.org/data/speech_commands_v0.01.tar.gz",
                        folder_in_archive="SC")
    assert len(ds) == 6


def test_missing_folder_and_offline_download(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="doesn't exist. Please check the ``root`` path"):
        SPEECHCOMMANDS(tmp_path)
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match=r"http://download.tensorflow.org/data/"
                                           r"speech_commands_v0.02.tar.gz"):
        SPEECHCOMMANDS(tmp_path, download=True)
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_download_extracts_a_local_archive(tmp_path, speech_root):
    """download=True with the archive already in root only extracts it."""
    import tarfile
    src = speech_root / "SpeechCommands" / "speech_commands_v0.02"
    root = tmp_path / "fresh"
    root.mkdir()
    with tarfile.open(root / "speech_commands_v0.02.tar.gz", "w:gz") as tar:
        for entry in sorted(os.listdir(src)):
            tar.add(src / entry, arcname=entry)
    ds = SPEECHCOMMANDS(root, download=True, subset="testing")
    assert len(ds) == 1 and ds[0][2] == "up"


def test_works_with_a_dataloader(speech_root):
    ds = SPEECHCOMMANDS(speech_root, subset="training")

    def collate(batch):
        longest = max(w.shape[-1] for w, *_ in batch)
        waves = ember.stack([ember.nn.functional.pad(w, (0, longest - w.shape[-1]))
                             for w, *_ in batch])
        return waves, [b[2] for b in batch]
    waves, labels = next(iter(DataLoader(ds, batch_size=3, collate_fn=collate)))
    assert tuple(waves.shape) == (3, 1, 900) and sorted(labels) == ["no", "yes", "yes"]
