"""examples/audio_classifier.py trains its tone classifier to the accuracy it states."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_audio_classifier_example_reaches_stated_accuracy():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "audio_classifier.py"),
                          "--epochs", "3", "--seed", "0"], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, timeout=300)
    assert out.returncode == 0, out.stderr
    accuracy = float(re.search(r"final test accuracy: ([0-9.]+)", out.stdout).group(1))
    assert accuracy >= 0.97, out.stdout                # chance is 0.2
    assert len(re.findall(r"^epoch \d+: loss", out.stdout, re.M)) == 3
