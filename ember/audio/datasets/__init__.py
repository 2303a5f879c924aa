"""`torchaudio.datasets`: SPEECHCOMMANDS (a folder of labelled WAV files). torchaudio's other
corpora are not built and raise NotImplementedError."""
from .._unbuilt import module_getattr
from .speechcommands import SPEECHCOMMANDS

__all__ = ["SPEECHCOMMANDS"]

_UNBUILT = {"CMUARCTIC", "CMUDict", "COMMONVOICE", "DR_VCTK", "FluentSpeechCommands", "GTZAN",
            "IEMOCAP", "LibriLightLimited", "LibriMix", "LIBRISPEECH", "LibriSpeechBiasing",
            "LIBRITTS", "LJSPEECH", "MUSDB_HQ", "QUESST14", "Snips", "TEDLIUM", "VCTK_092",
            "VoxCeleb1Identification", "VoxCeleb1Verification", "YESNO"}
__getattr__ = module_getattr(__name__, _UNBUILT)
