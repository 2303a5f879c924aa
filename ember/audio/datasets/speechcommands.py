"""SPEECHCOMMANDS: Google's Speech Commands (v0.01 / v0.02) in torchaudio's layout.

    root/<folder_in_archive>/<archive name>/<label>/<speaker>_nohash_<n>.wav
                                           /validation_list.txt, testing_list.txt
                                           /_background_noise_/   (never listed)

Items are (waveform [1, time], sample_rate, label, speaker_id, utterance_number).
"""
import os
from pathlib import Path

from ...utils.data.dataset import Dataset
from .._backend import load

__all__ = ["SPEECHCOMMANDS"]

FOLDER_IN_ARCHIVE = "SpeechCommands"
URL = "speech_commands_v0.02"
HASH_DIVIDER = "_nohash_"
EXCEPT_FOLDER = "_background_noise_"
SAMPLE_RATE = 16000
_CHECKSUMS = {   # sha256 prefixes of the official archives
    "http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz":
        "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
    "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz":
        "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
}


def _load_list(root, *filenames):
    """Normalised paths of the files listed (relative to `root`) in the given list files."""
    output = []
    for filename in filenames:
        with open(os.path.join(root, filename)) as fileobj:
            output += [os.path.normpath(os.path.join(root, line.strip()))
                       for line in fileobj if line.strip()]
    return output


def _metadata(filepath, path):
    relpath = os.path.relpath(filepath, path)
    reldir, filename = os.path.split(relpath)
    _, label = os.path.split(reldir)
    speaker, _ = os.path.splitext(filename)
    speaker, _ = os.path.splitext(speaker)
    speaker_id, utterance_number = speaker.split(HASH_DIVIDER)
    return relpath, SAMPLE_RATE, label, speaker_id, int(utterance_number)


class SPEECHCOMMANDS(Dataset):
    """Speech Commands from an extracted archive under `root`.

    url: "speech_commands_v0.01", "speech_commands_v0.02" or a full URL of an archive.
    subset: None (every utterance), "training" (those in neither list), "validation"
    (validation_list.txt) or "testing" (testing_list.txt).
    download: fetch and extract the archive when the folder is missing (needs network
    access; a failure raises RuntimeError naming the URL).
    """

    def __init__(self, root, url=URL, folder_in_archive=FOLDER_IN_ARCHIVE, download=False,
                 subset=None):
        if subset is not None and subset not in ("training", "validation", "testing"):
            raise ValueError("When `subset` is not None, it must be one of ['training', "
                             "'validation', 'testing'].")
        if url in ("speech_commands_v0.01", "speech_commands_v0.02"):
            url = "http://download.tensorflow.org/data/" + url + ".tar.gz"
        root = os.fspath(root)
        basename = os.path.basename(url)
        archive = os.path.join(root, basename)
        basename = basename.rsplit(".", 2)[0]
        folder_in_archive = os.path.join(folder_in_archive, basename)
        # torchaudio's attribute names: both are the extracted folder
        self._archive = os.path.join(root, folder_in_archive)
        self._path = self._archive
        if download and not os.path.isdir(self._path):
            self._download(url, archive)
        if not os.path.isdir(self._path):
            raise RuntimeError(f"The path {self._path} doesn't exist. Please check the ``root`` "
                               "path or set `download=True` to download it")

        if subset == "validation":
            self._walker = _load_list(self._path, "validation_list.txt")
        elif subset == "testing":
            self._walker = _load_list(self._path, "testing_list.txt")
        else:
            walker = sorted(str(p) for p in Path(self._path).glob("*/*.wav"))
            walker = [w for w in walker if HASH_DIVIDER in w and EXCEPT_FOLDER not in w]
            if subset == "training":
                excludes = set(_load_list(self._path, "validation_list.txt",
                                          "testing_list.txt"))
                walker = [w for w in walker if os.path.normpath(w) not in excludes]
            self._walker = walker

    def _download(self, url, archive):
        import hashlib
        import tarfile
        import urllib.request
        if not os.path.isfile(archive):
            os.makedirs(os.path.dirname(archive) or ".", exist_ok=True)
            part = archive + ".part"
            try:
                with urllib.request.urlopen(url) as response, open(part, "wb") as fh:
                    while chunk := response.read(1 << 20):
                        fh.write(chunk)
            except OSError as e:
                if os.path.exists(part):
                    os.remove(part)
                raise RuntimeError(f"Failed to download the Speech Commands archive from {url}: "
                                   f"{e}. Download and extract it by hand under {self._path}.") \
                    from e
            expected = _CHECKSUMS.get(url)
            if expected is not None:
                sha = hashlib.sha256()
                with open(part, "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        sha.update(chunk)
                if sha.hexdigest() != expected:
                    os.remove(part)
                    raise RuntimeError(f"The archive downloaded from {url} failed its checksum")
            os.replace(part, archive)
        os.makedirs(self._path, exist_ok=True)
        with tarfile.open(archive) as tar:
            # the "data" filter (Python >= 3.11.4) refuses absolute paths and links that
            # leave the target folder
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(self._path, **safe)

    def get_metadata(self, n):
        """(relative path, sample rate, label, speaker_id, utterance_number) of item n,
        without loading the audio."""
        return _metadata(self._walker[n], self._archive)

    def __getitem__(self, n):
        metadata = self.get_metadata(n)
        waveform, sample_rate = load(os.path.join(self._archive, metadata[0]))
        return (waveform, sample_rate) + metadata[2:]

    def __len__(self):
        return len(self._walker)
